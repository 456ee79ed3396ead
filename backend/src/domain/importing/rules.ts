import { ImportedPrompt, ImportedVersion, isTemplateError, parsePrompt, type ImportReport } from '@rocqet/sdk';
import type { z } from 'zod';

export type Skip = ImportReport['skipped'][number];

/** Why an item of a file was left out: the field (in the file's own terms) and the rule it broke. */
export interface Refusal {
  field?: string;
  reason: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export function skip(item: string, refusal: Refusal): Skip {
  return refusal.field === undefined ? { item, reason: refusal.reason } : { item, field: refusal.field, reason: refusal.reason };
}

/** Renames a schema path to what the file calls that field (`title` is `act` in the awesome CSV). */
export type FieldNames = (path: (string | number)[]) => string;

function refused(error: z.ZodError, names: FieldNames): Refusal {
  const first = error.issues[0]!;
  return { field: names(first.path.map((p) => (typeof p === 'symbol' ? String(p) : p))), reason: first.message };
}

/** A prompt's fields, by the rules the API applies when one is created or edited. */
export function checkPromptFields(
  input: { title: string; description: string; tags: string[]; tagMessages?: string[] },
  names: FieldNames,
): Checked<z.output<typeof ImportedPrompt>> {
  const parsed = ImportedPrompt.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, refusal: refused(parsed.error, names) };
}

export interface Version {
  content: string;
  message: string;
  createdAt?: Date | undefined;
  authorName?: string | undefined;
}

/**
 * One version of a history, by the rules of a commit: the size of the text, its front matter, the message, and a date
 * the database can store.
 */
export function checkVersion(
  input: { content: string; message: string; createdAt?: string | undefined; authorName?: string | undefined },
  names: FieldNames,
): Checked<Version> {
  const parsed = ImportedVersion.safeParse(input);
  if (!parsed.success) return { ok: false, refusal: refused(parsed.error, names) };
  try {
    parsePrompt(parsed.data.content);
  } catch (err) {
    if (!isTemplateError(err)) throw err;
    return { ok: false, refusal: { field: names(['content']), reason: err.message } };
  }
  const { createdAt, ...rest } = parsed.data;
  return { ok: true, value: { ...rest, ...(createdAt ? { createdAt: new Date(createdAt) } : {}) } };
}
