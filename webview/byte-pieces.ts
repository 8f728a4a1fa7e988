// The bytes behind a token. GPT-2's BPE works on UTF-8 bytes, each shown as a printable character (its
// `bytes_to_unicode` table: printable bytes stand for themselves, the rest map to U+0100 upward, so a space is
// "Ġ" and a newline "Ċ"); that spelling is what people see in vocab.json and merges.txt.

import type { TokenPiece } from '../protocol/head-writes';
import { visibleWhitespace } from '../protocol/visible-whitespace';

const byteToChar: readonly string[] = (() => {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCodePoint(printable(b) ? b : 256 + next++));
  return table;
})();

export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The token as it is spelled in GPT-2's vocabulary file, e.g. " the" → "Ġthe". */
export function bpeSpelling(text: string): string {
  return Array.from(utf8Bytes(text), (b) => byteToChar[b]).join('');
}

export function hexBytes(text: string): string {
  return Array.from(utf8Bytes(text), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * A token that ends inside a multi-byte character decodes to U+FFFD: its real bytes are not in the
 * inspection, so a view must not pretend the replacement character's bytes are the token's.
 */
export function isPartialCharacter(text: string): boolean {
  return text.includes('\ufffd');
}

/**
 * A vocabulary token as the views label it: whitespace made visible ("·the"), and a token holding part of a
 * character by its bytes ("⟨0xE2⟩⟨0x80⟩"), since its text alone would be a meaningless "�".
 */
export function pieceLabel(piece: TokenPiece): string {
  if (piece.bytes) return piece.bytes.map((b) => `⟨0x${b.toString(16).toUpperCase().padStart(2, '0')}⟩`).join('');
  return visibleWhitespace(piece.text);
}
