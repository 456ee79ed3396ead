// Loads the real fabric prompt histories for tests; they live outside the repo and may be absent.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type FabricVersion = { commit: string; date: string; message: string; content: string };
export type FabricPrompt = { name: string; versions: FabricVersion[] };

export const FABRIC_PATH = fileURLToPath(new URL('../../../../shared/data/fabric-pattern-histories.jsonl', import.meta.url));

export function loadFabric(): FabricPrompt[] | null {
  if (!existsSync(FABRIC_PATH)) return null;
  return readFileSync(FABRIC_PATH, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FabricPrompt);
}
