import { RocqetError, type Run, type VariableValue } from '@rocqet/sdk';
import type { Access } from '../access.js';
import { runMessage, runProblem } from '../blocks/runs.js';
import { UserFacing, type Deps, type Reply } from './context.js';
import { noteUse, type Loaded } from './prompts.js';

/** Why this user cannot run from Slack (the backend's runs route needs the write scope, on the member's own token). */
export function runRefusal(access: Access): string | undefined {
  return access.writer ? undefined : `You cannot run prompts from Slack: runs need the write scope. ${access.whyReadOnly}`;
}

/**
 * Runs the exact version shown with the clicking member's own token (so the run log names them and their role caps
 * it), after the ack, and tells only them the outcome. A run refused after it started still has its logged run.
 */
export async function runAndReply(deps: Deps, access: Access, prompt: Loaded, ref: string, variables: Record<string, VariableValue>, userId: string, teamId: string, reply: Reply): Promise<void> {
  const refused = runRefusal(access);
  if (refused) throw new UserFacing(refused);
  let run: Run;
  try {
    run = await access.writer!.runPrompt({ params: { prompt: prompt.id }, body: { ref: prompt.commit.id, variables } });
  } catch (err) {
    if (!(err instanceof RocqetError)) throw err;
    const logged = (err.problem as { run?: Run } | undefined)?.run;
    if (!logged) {
      const advice = runProblem(err.code, err.message);
      throw advice ? new UserFacing(advice) : err;
    }
    run = logged;
  }
  await reply({ response_type: 'ephemeral', replace_original: false, ...runMessage(prompt, ref, run, userId) });
  await noteUse(deps, teamId, userId, prompt);
}
