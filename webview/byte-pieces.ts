// The bytes behind a token. GPT-2's BPE works on UTF-8 bytes, each shown as a printable character (its
// `bytes_to_unicode` table: printable bytes stand for themselves, the rest map to U+0100 upward, so a space is
// "Ġ" and a newline "Ċ"); that spelling is what people see in vocab.json and merges.txt.

import type { TokenPiece } from '../protocol/token-piece';

const byteToChar: readonly string[] = (() => {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCodePoint(printable(b) ? b : 256 + next++));
  return table;
})();

/** The token's bytes: those it carries when it holds part of a character, else its text's UTF-8. */
function pieceBytes(piece: TokenPiece): readonly number[] {
  return piece.bytes ?? Array.from(new TextEncoder().encode(piece.text));
}

/** The token as it is spelled in GPT-2's vocabulary file, e.g. " the" → "Ġthe". */
export function bpeSpelling(piece: TokenPiece): string {
  return pieceBytes(piece).map((b) => byteToChar[b]).join('');
}

export function hexBytes(piece: TokenPiece): string {
  return pieceBytes(piece).map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
