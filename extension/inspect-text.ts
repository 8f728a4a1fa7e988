// Which text an inspection reads, decided before anything is sent to the model.

/**
 * A 1,024-token context never needs more than this many characters of the end of a selection (a GPT-2
 * token is rarely longer than 16 characters); cutting here keeps a huge selection from crossing the IPC.
 */
export const MAX_INSPECT_CHARS = 64 * 1024;

export type InspectText =
  | { readonly ok: true; readonly text: string; /** characters dropped from the front */ readonly skipped: number }
  | { readonly ok: false; readonly reason: string };

export function chooseInspectText(text: string, what: 'selection' | 'line'): InspectText {
  if (text.includes('\u0000')) return { ok: false, reason: 'This looks like a binary file: Glassbox reads text.' };
  if (text.trim().length === 0) {
    return { ok: false, reason: what === 'line' ? 'The current line is empty: select some text or move to a line that has some.' : 'The selection is only whitespace: select some text to inspect.' };
  }
  if (text.length <= MAX_INSPECT_CHARS) return { ok: true, text, skipped: 0 };
  let skipped = text.length - MAX_INSPECT_CHARS;
  // Never start in the middle of a surrogate pair.
  if (/[\udc00-\udfff]/.test(text[skipped])) skipped++;
  return { ok: true, text: text.slice(skipped), skipped };
}
