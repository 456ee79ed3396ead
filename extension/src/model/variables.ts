import { isRequired, parsePrompt, type VariableSpec, type VariableValue } from '@rocqet/sdk';

/** One question to ask before rendering: a declared variable, as an input box or (an enum) a pick. */
export interface VariableQuestion {
  name: string;
  prompt: string;
  required: boolean;
  default: string | undefined;
  choices: string[] | undefined;
  /** The declared type, to send a number or a boolean back as one. */
  kind: 'string' | 'number' | 'boolean';
}

/** The questions a prompt's text asks: every declared variable, then undeclared placeholders (required strings). */
export function questionsFor(text: string): VariableQuestion[] {
  const parsed = parsePrompt(text);
  const out: VariableQuestion[] = [];
  for (const [name, spec] of Object.entries(parsed.frontMatter.variables)) out.push(question(name, spec));
  for (const name of parsed.undeclared) {
    if (!out.some((q) => q.name === name)) {
      out.push({ name, prompt: `Value of {{${name}}}`, required: true, default: undefined, choices: undefined, kind: 'string' });
    }
  }
  return out;
}

function question(name: string, spec: VariableSpec): VariableQuestion {
  const kind = typeof spec.default === 'number' ? 'number' : typeof spec.default === 'boolean' ? 'boolean' : 'string';
  return {
    name,
    prompt: spec.description ? `${name}: ${spec.description}` : `Value of {{${name}}}`,
    required: isRequired(spec),
    default: spec.default === undefined ? undefined : String(spec.default),
    choices: spec.enum?.map(String) ?? (kind === 'boolean' ? ['true', 'false'] : undefined),
    kind,
  };
}

/** What an answer is wrong with ("" means fine): a required one left empty, a number that is not one. */
export function checkAnswer(q: VariableQuestion, answer: string): string {
  if (answer === '' && q.required && q.default === undefined) return `${q.name} is required`;
  if (answer !== '' && q.kind === 'number' && !Number.isFinite(Number(answer))) return `${q.name} must be a number`;
  return '';
}

/** The values to render with: answers typed as declared; an empty optional answer is left to the default. */
export function valuesFrom(questions: readonly VariableQuestion[], answers: ReadonlyMap<string, string>): Record<string, VariableValue> {
  const values: Record<string, VariableValue> = {};
  for (const q of questions) {
    const a = answers.get(q.name);
    if (a === undefined || a === '') continue;
    values[q.name] = q.kind === 'number' ? Number(a) : q.kind === 'boolean' ? a === 'true' : a;
  }
  return values;
}
