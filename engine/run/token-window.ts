// The part of a long text the model reads when the text has more tokens than fit: its last tokens.

import type { Token } from '../../protocol/inspection';

export interface TokenWindow {
  /** The kept tokens, their offsets relative to `textOffset`. */
  readonly tokens: readonly Token[];
  /** How many leading tokens were dropped (0 when all fit). */
  readonly droppedTokens: number;
  /** UTF-16 offset in the text where the kept tokens start. */
  readonly textOffset: number;
}

/**
 * The last tokens of `text` (tokenized as `tokens`) that number at most `limit`. With `lineStart`, the cut
 * moves forward to the first token that begins a line, when one is within the first quarter of what is kept:
 * the prompt then starts at the same token while the user types on, and the KV cache of the last completion
 * still serves it (a cut a token at a time would move with every token typed).
 */
export function windowTokens(tokens: readonly Token[], text: string, limit: number, options: { readonly lineStart: boolean }): TokenWindow {
  if (tokens.length <= limit) return { tokens, droppedTokens: 0, textOffset: 0 };
  let dropped = tokens.length - limit;
  if (options.lineStart) {
    const nearEnough = dropped + Math.floor(limit / 4);
    for (let i = dropped; i <= nearEnough && i < tokens.length; i++) {
      if (text[tokens[i].start - 1] === '\n') {
        dropped = i;
        break;
      }
    }
  }
  // Tokens may share a character (a split emoji); start at the first token that begins after the cut.
  while (dropped < tokens.length && tokens[dropped].start < tokens[dropped - 1].end) dropped++;
  const textOffset = tokens[dropped]?.start ?? text.length; // nothing left only if the last tokens split one character
  return { tokens: tokens.slice(dropped).map((t) => ({ ...t, start: t.start - textOffset, end: t.end - textOffset })), droppedTokens: dropped, textOffset };
}
