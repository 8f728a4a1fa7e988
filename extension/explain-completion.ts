// "Explain this completion": what the Inspect panel reads to show how the model wrote a completion, and where
// that completion is in the document. Free of vscode, so it is tested as plain data.

import type { LastCompletion } from './completion-store';

/** The engine decodes each token alone, so a token holding part of a character reads as U+FFFD. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** How much of the text before a completion must still be there for the completion to count as in place. */
const CONTEXT_CHECKED_CHARS = 256;

export interface CompletionExplanation {
  /** The prompt, then the text of the generated tokens kept: what the panel inspects. */
  readonly text: string;
  /** The exact tokens: the prompt's ids, then the generated ones. Tokenizing `text` again may split it otherwise. */
  readonly ids: readonly number[];
  /** Index into `ids` of the first generated token; the rest were generated. */
  readonly generatedFrom: number;
  /** Document offset of the prompt's first character, where `text` starts. */
  readonly documentOffset: number;
}

/**
 * The prompt and the generated tokens that make up the suggestion shown: tokens after it (the newline the
 * model stopped at, the rest of a line cut off) were never in the editor. Null when no generated token can
 * be kept, which happens only when the first one holds part of a character.
 */
export function explainCompletion(last: LastCompletion): CompletionExplanation | null {
  const kept = suggestionTokens(last);
  if (kept.length === 0) return null;
  return {
    text: last.prompt + kept.map((t) => t.text).join(''),
    ids: [...last.promptTokens.map((t) => t.id), ...kept.map((t) => t.id)],
    generatedFrom: last.promptTokens.length,
    documentOffset: promptOffset(last),
  };
}

/**
 * The generated tokens up to the end of the suggestion. A token spelling part of a character is never kept:
 * its text (U+FFFD) does not spell its bytes, so the engine could not place it in the text; the suggestion
 * itself always stops before one (see shapeSuggestion).
 */
function suggestionTokens(last: LastCompletion): LastCompletion['tokens'] {
  // The suggestion is the continuation less a leading healed space or blank lines, cut at its end.
  const lead = last.text.indexOf(last.suggestion);
  const end = lead < 0 ? last.text.length : lead + last.suggestion.length;
  const kept: LastCompletion['tokens'][number][] = [];
  let covered = 0;
  for (const token of last.tokens) {
    if (covered >= end || token.text.includes(REPLACEMENT_CHARACTER)) break;
    kept.push(token);
    covered += token.text.length;
  }
  return kept;
}

/**
 * Where the prompt starts in the document. The prompt is a tail of the text before the cursor, without the
 * trailing space token healing took off (see healTrailingSpace), so it ends one character early then.
 */
export function promptOffset(last: LastCompletion): number {
  const healed = !last.prefix.endsWith(last.prompt);
  return last.offset - (healed ? 1 : 0) - last.prompt.length;
}

/**
 * The document range of the completion's suggestion when it was accepted and is still in place: the
 * suggestion at the offset it was asked for, after the text that was before the cursor then. `read` returns
 * the document's text in [start, end), clamped to the document.
 */
export function acceptedRange(last: LastCompletion, read: (start: number, end: number) => string): { start: number; end: number } | null {
  const end = last.offset + last.suggestion.length;
  if (read(last.offset, end) !== last.suggestion) return null;
  const context = Math.min(last.prefix.length, CONTEXT_CHECKED_CHARS);
  if (read(last.offset - context, last.offset) !== last.prefix.slice(last.prefix.length - context)) return null;
  return { start: last.offset, end };
}

/** How many characters `a` and `b` share from their start (never half a surrogate pair). */
export function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // A shared high surrogate whose low halves differ is a different character.
  if (i > 0 && i < limit && isHighSurrogate(a.charCodeAt(i - 1))) i--;
  return i;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
