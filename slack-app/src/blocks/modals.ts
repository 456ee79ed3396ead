import { isRequired, type VariableSpec } from '@rocqet/sdk';
import { cut, escapeMrkdwn, LIMITS, mrkdwn, plain, section, type Block } from './limits.js';

export interface View {
  type: 'modal' | 'home';
  callback_id?: string;
  title?: ReturnType<typeof plain>;
  submit?: ReturnType<typeof plain>;
  close?: ReturnType<typeof plain>;
  private_metadata?: string;
  blocks: Block[];
  [k: string]: unknown;
}

export function modal(callbackId: string, title: string, blocks: Block[], opts: { submit?: string; close?: string; metadata?: unknown } = {}): View {
  const metadata = opts.metadata === undefined ? undefined : JSON.stringify(opts.metadata);
  if (metadata && metadata.length > LIMITS.privateMetadata) throw new Error('private_metadata over 3,000 characters');
  if (blocks.length > LIMITS.blocksPerView) throw new Error(`${blocks.length} blocks in a modal (at most 100)`);
  return {
    type: 'modal',
    callback_id: callbackId,
    title: plain(title, LIMITS.viewTitle),
    ...(opts.submit ? { submit: plain(opts.submit, LIMITS.viewButton) } : {}),
    close: plain(opts.close ?? 'Close', LIMITS.viewButton),
    ...(metadata ? { private_metadata: metadata } : {}),
    blocks,
  };
}

/** What opens at once on a trigger (it expires 3 s after the click), replaced by views.update when the data is in. */
export function loadingModal(title: string): View {
  return modal('rocqet_loading', title, [section('Loading from Rocqet…')]);
}

export function messageModal(title: string, text: string): View {
  return modal('rocqet_message', title, [section(text)]);
}

function input(blockId: string, label: string, element: Block, opts: { optional?: boolean; hint?: string } = {}): Block {
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label, LIMITS.inputLabel),
    element,
    optional: Boolean(opts.optional),
    ...(opts.hint ? { hint: plain(opts.hint, LIMITS.inputLabel) } : {}),
  };
}

function textInput(actionId: string, opts: { initial?: string; multiline?: boolean; max?: number; placeholder?: string } = {}): Block {
  const max = Math.min(opts.max ?? LIMITS.inputMaxLength, LIMITS.inputMaxLength);
  return {
    type: 'plain_text_input',
    action_id: actionId,
    multiline: Boolean(opts.multiline),
    max_length: max,
    ...(opts.initial ? { initial_value: cut(opts.initial, max) } : {}),
    ...(opts.placeholder ? { placeholder: plain(opts.placeholder, 150) } : {}),
  };
}

export function linkModal(metadata: { c?: string; u?: string }): View {
  return modal(
    'rocqet_link',
    'Link Rocqet',
    [
      section('Paste a Rocqet API token with the *admin* scope. It is stored encrypted, used to give each Slack member ' +
        'their own token (so changes are recorded as them), and never shown again.'),
      input('token', 'Rocqet admin token', textInput('value', { placeholder: 'rq_live_…', max: 200 })),
    ],
    { submit: 'Link', metadata },
  );
}

export interface NewPromptPrefill {
  title?: string;
  text?: string;
  /** The message was longer than a text input holds: its id in slack_pending_text, saved as is. */
  pendingId?: string;
  pendingLength?: number;
}

export function newPromptModal(prefill: NewPromptPrefill, metadata: Record<string, unknown>): View {
  const blocks: Block[] = [
    input('title', 'Title', textInput('value', { initial: prefill.title ?? '', max: 200 })),
    input('folder', 'Folder', textInput('value', { placeholder: 'team/support (empty: the root)', max: 1000 }), {
      optional: true,
      hint: 'A folder path that exists in Rocqet.',
    }),
  ];
  if (prefill.pendingId) {
    blocks.push(section(`The message's ${(prefill.pendingLength ?? 0).toLocaleString('en')} characters are more than a ` +
      'Slack text box holds (3,000): they will be saved as they are. Edit them afterwards in VS Code.'));
  } else {
    blocks.push(input('text', 'Prompt text', textInput('value', { initial: prefill.text ?? '', multiline: true })));
  }
  blocks.push(input('message', 'Commit message', textInput('value', { placeholder: 'Create …', max: 2000 }), { optional: true }));
  return modal('rocqet_new', 'New prompt', blocks, { submit: 'Save', metadata });
}

/** Block ids of variable inputs are their positions; the names come back from the prompt itself on submission. */
export const variableBlockId = (i: number) => `var_${i}`;

export function variablesModal(
  prompt: { title: string; path: string },
  variables: [string, VariableSpec][],
  metadata: Record<string, unknown>,
  mode: 'share' | 'insert' | 'run',
): View {
  const blocks: Block[] = [section(`*${escapeMrkdwn(prompt.title)}*  \`${escapeMrkdwn(prompt.path)}\`\nFill in its variables.`)];
  variables.forEach(([name, spec], i) => {
    const label = spec.description ? `${name} — ${spec.description}` : name;
    const optional = !isRequired(spec);
    const initial = spec.default === undefined ? undefined : String(spec.default);
    let element: Block;
    if (spec.enum && spec.enum.length && spec.enum.length <= LIMITS.optionsPerSelect && spec.enum.every((v) => String(v).length <= LIMITS.optionValue)) {
      const options = spec.enum.map((v) => ({ text: plain(String(v), LIMITS.optionText), value: String(v) }));
      const initialOption = options.find((o) => o.value === initial);
      element = { type: 'static_select', action_id: 'value', options, ...(initialOption ? { initial_option: initialOption } : {}) };
    } else {
      element = textInput('value', { ...(initial ? { initial } : {}), multiline: false });
    }
    blocks.push(input(variableBlockId(i), cut(label, 200), element, { optional }));
  });
  const [title, submit] = ({ share: ['Share prompt', 'Share'], insert: ['Insert prompt', 'Insert'], run: ['Run prompt', 'Run'] } as const)[mode];
  return modal('rocqet_variables', title, blocks, { submit, metadata });
}

export function doneView(title: string, text: string): View {
  return modal('rocqet_done', title, [{ type: 'section', text: mrkdwn(text) }]);
}
