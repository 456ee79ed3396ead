import { renderPrompt, RunParameters, type ProviderKind } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import type { SecretBox } from '../../secrets/box.js';
import type { Actor } from '../actor.js';
import { fail } from '../errors.js';
import { requireWrite } from '../policy.js';
import { findPromptAtRef } from '../prompts/resolve.js';
import { parseCommitText } from '../prompts/parsed.js';
import { readText } from '../prompts/store.js';
import type { CommitRow } from '../prompts/store.js';
import type pg from 'pg';
import { openProviderKey } from './keys.js';
import type { ProviderTarget } from './provider.js';
import { readRunSetup, type RunKey } from './settings.js';

export interface RunSpec {
  ref?: string | undefined;
  variables: Record<string, string | number | boolean>;
  input?: string | undefined;
  model?: string | undefined;
  chain?: string[] | undefined;
  parameters?: RunParameters | undefined;
}

/** Everything a run needs, checked before anything is sent or stored: a refusal here changes nothing. */
export interface PreparedRun {
  workspaceId: string;
  prompt: { id: string; path: string };
  commit: CommitRow;
  ref: string;
  variables: Record<string, string | number | boolean>;
  system: string | null;
  user: string;
  parameters: RunParameters;
  /** The failover chain, in order: the run's model first, then the chain's other providers. */
  targets: ProviderTarget[];
}

export interface PlanDeps {
  db: Db;
  /** Hot reads skip the ORM (see db/sql.ts). */
  pool: pg.Pool;
  box: SecretBox | undefined;
  defaultMaxTokens: number;
}

/** `provider:model` split at the first colon, when the part before it is a provider of the workspace. */
function splitEntry(entry: string, keys: Map<string, RunKey>): { provider: string; model: string } | undefined {
  const i = entry.indexOf(':');
  if (i <= 0) return undefined;
  const provider = entry.slice(0, i);
  if (!keys.has(provider) && provider !== 'openai' && provider !== 'anthropic') return undefined;
  return { provider, model: entry.slice(i + 1) };
}

const FAMILY: Array<[RegExp, ProviderKind]> = [
  [/^claude/, 'anthropic'],
  [/^(gpt-|o\d|chatgpt-|ft:gpt-|davinci|babbage)/, 'openai'],
];

/** A bare model id: the chain's provider for it if the chain names it, else the workspace's key for its family. */
function placeModel(model: string, chain: { provider: string; model: string }[], keys: Map<string, RunKey>) {
  const inChain = chain.find((e) => e.model === model);
  if (inChain) return inChain;
  const kind = FAMILY.find(([re]) => re.test(model))?.[1];
  const key = kind && ([...keys.values()].find((k) => k.name === kind) ?? [...keys.values()].find((k) => k.kind === kind));
  if (key) return { provider: key.name, model };
  return fail(
    'provider_not_configured',
    kind
      ? `no ${kind} key is configured for model "${model}": an admin sets one with POST /v1/providers`
      : `cannot tell which provider serves "${model}": name it as provider:model (for example openai:${model})`,
    { model },
  );
}

/** The front matter's `parameters` that runs understand, each checked; other keys belong to other tools. */
function frontMatterParameters(raw: Record<string, unknown> | undefined): RunParameters {
  if (!raw) return {};
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(RunParameters.shape)) if (Object.hasOwn(raw, key)) known[key] = raw[key];
  const parsed = RunParameters.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail('invalid_front_matter', `front matter parameters.${issue.path.join('.')}: ${issue.message}`, {
      errors: parsed.error.issues.map((i) => ({ path: `parameters.${i.path.join('.')}`, message: i.message })),
    });
  }
  return parsed.data;
}

export async function prepareRun(deps: PlanDeps, actor: Actor, promptRef: string, spec: RunSpec): Promise<PreparedRun> {
  requireWrite(actor, 'running a prompt');
  const { db, pool } = deps;
  // Two reads side by side (the prompt with its path and the ref's commit, and the run setup): each round trip is
  // time to first token.
  const [{ prompt, path, commit }, settings] = await Promise.all([
    findPromptAtRef(pool, actor.workspaceId, promptRef, spec.ref),
    readRunSetup(pool, actor.workspaceId),
  ]);
  const content = commit.id === prompt.headCommitId ? prompt.headText : await readText(db, commit.id);
  const parsed = parseCommitText(commit.id, content);
  const rendered = renderPrompt(parsed, spec.variables, { strict: true });

  const keys = new Map(settings.keys.map((k) => [k.name, k]));
  const toEntry = (e: string) =>
    splitEntry(e, keys) ?? fail('provider_not_configured', `the chain entry "${e}" names no provider of this workspace`, { entry: e });
  const chain = (spec.chain ?? settings.chain).map(toEntry);
  const primarySpec = spec.model ?? parsed.frontMatter.model;
  const primary = primarySpec ? (splitEntry(primarySpec, keys) ?? placeModel(primarySpec, chain, keys)) : undefined;
  const entries = primary ? [primary, ...chain.filter((e) => e.provider !== primary.provider)] : chain;
  if (entries.length === 0) {
    fail('no_model', 'no model to run on: give one (model), set `model` in the front matter, or have an admin set a failover chain');
  }
  const keyless = [...new Set(entries.filter((e) => !keys.has(e.provider)).map((e) => e.provider))];
  if (keyless.length) {
    fail('provider_not_configured', `no key is configured for ${keyless.join(', ')}: an admin sets one with POST /v1/providers`, {
      providers: keyless,
    });
  }
  if (settings.monthlyBudgetUsd !== null) {
    const spent = settings.spentUsd ?? 0;
    if (spent >= settings.monthlyBudgetUsd) {
      fail('budget_exceeded', `this month's runs cost an estimated $${spent.toFixed(4)} of the $${settings.monthlyBudgetUsd} budget`, {
        spentUsd: spent,
        budgetUsd: settings.monthlyBudgetUsd,
      });
    }
  }
  const parameters: RunParameters = { ...frontMatterParameters(parsed.frontMatter.parameters), ...spec.parameters };
  const targets = entries.map((e): ProviderTarget => {
    const key = keys.get(e.provider)!;
    return { name: key.name, kind: key.kind as ProviderKind, baseUrl: key.baseUrl, apiKey: openProviderKey(deps.box, key), model: e.model };
  });
  // Anthropic cannot run without max_tokens; one value for every target keeps a failover's answer comparable.
  if (parameters.max_tokens === undefined && targets.some((t) => t.kind === 'anthropic')) parameters.max_tokens = deps.defaultMaxTokens;
  return {
    workspaceId: actor.workspaceId,
    prompt: { id: prompt.id, path },
    commit,
    ref: spec.ref ?? prompt.defaultBranch,
    variables: { ...spec.variables },
    system: spec.input !== undefined ? rendered.text : null,
    user: spec.input ?? rendered.text,
    parameters,
    targets,
  };
}
