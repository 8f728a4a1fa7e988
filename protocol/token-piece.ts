// A vocabulary token as every view, export and hover names it. GPT-2's BPE works on UTF-8 bytes, so a token may
// hold part of a character ("’" is E2 80 99, often the tokens E2 80 and 99): decoded alone it is a meaningless
// U+FFFD, so such a token travels with its bytes and is shown by them.

import { visibleWhitespace } from './visible-whitespace';

export interface TokenPiece {
  readonly id: number;
  /** The decoded piece; U+FFFD where the token holds part of a multi-byte character. */
  readonly text: string;
  /** The token's UTF-8 bytes, present only when they do not spell whole characters (the views show ⟨0xE2⟩). */
  readonly bytes?: readonly number[];
}

function byteLabel(bytes: readonly number[]): string {
  return bytes.map((b) => `⟨0x${b.toString(16).toUpperCase().padStart(2, '0')}⟩`).join('');
}

/**
 * A token as the views label it: whitespace made visible ("·the"), and a token holding part of a character
 * by its bytes ("⟨0xE2⟩⟨0x80⟩"), since its text alone would be a meaningless "�".
 */
export function pieceLabel(piece: TokenPiece): string {
  return piece.bytes ? byteLabel(piece.bytes) : visibleWhitespace(piece.text);
}

/**
 * A token as data (CSV) writes it: its text as it is, or for a token holding part of a character its bytes as
 * the views show them, since no text holds half a character.
 */
export function pieceText(piece: TokenPiece): string {
  return piece.bytes ? byteLabel(piece.bytes) : piece.text;
}
