// The last completion shown, with everything the model read and wrote for it, so that it can be reused while
// the user types it out and explained later ("why did it say that?").

import type { Token } from '../protocol/inspection';
import type { Steering } from '../protocol/interventions';

export interface LastCompletion {
  readonly documentUri: string;
  /** The cursor's UTF-16 offset in the document when the completion was asked for. */
  readonly offset: number;
  /** The text before the cursor then: all of it, or its last PREFIX_WINDOW_CHARS characters. */
  readonly prefix: string;
  /** What the model read: a tail of `prefix`, without a healed trailing space (see healTrailingSpace). */
  readonly prompt: string;
  /** `prompt` as the model tokenized it; offsets are into `prompt`. */
  readonly promptTokens: readonly Token[];
  /** Every token the model generated, including a newline or end-of-text it stopped at. */
  readonly tokens: readonly { readonly id: number; readonly text: string }[];
  /** The tokens' texts joined: the raw continuation of `prompt`. */
  readonly text: string;
  /** The ghost text shown: `text` cut to what fits at the cursor (see shapeSuggestion). Never empty. */
  readonly suggestion: string;
  /** The activation addition the model ran with, if any: another steering makes another suggestion. */
  readonly steering?: Steering;
}

/** Where the cursor is now, in the terms the reuse rule needs. */
export interface CursorText {
  readonly documentUri: string;
  readonly offset: number;
  readonly prefix: string;
}

export class CompletionStore {
  private current: LastCompletion | null = null;
  private readonly listeners = new Set<(last: LastCompletion | null) => void>();

  get last(): LastCompletion | null {
    return this.current;
  }

  set(last: LastCompletion | null): void {
    this.current = last;
    for (const listener of this.listeners) listener(last);
  }

  onDidChange(listener: (last: LastCompletion | null) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

/**
 * The reuse rule: when the text before the cursor is the last completion's prefix followed by a part of its
 * suggestion (the user typed what the ghost text predicted, or backspaced within that), the rest of the
 * suggestion is still the model's answer, so no new run is needed. Undefined when the rule does not apply,
 * including when nothing of the suggestion would be left.
 */
export function reusableSuggestion(last: LastCompletion | null, at: CursorText): string | undefined {
  if (!last || last.documentUri !== at.documentUri) return undefined;
  const typed = at.offset - last.offset;
  if (typed < 0 || typed >= last.suggestion.length) return undefined;
  // Both prefixes may be windows of the document ending at their cursors; compare where they overlap, which
  // must at least cover what the model read.
  const overlap = Math.min(last.prefix.length, at.prefix.length - typed);
  if (overlap < last.prompt.length) return undefined;
  const expected = last.prefix.slice(last.prefix.length - overlap) + last.suggestion.slice(0, typed);
  return at.prefix.endsWith(expected) ? last.suggestion.slice(typed) : undefined;
}
