// Where each token sits in the text it came from. GPT-2's BPE works on UTF-8 bytes, so a token may hold part of
// a character (an emoji is often three tokens); offsets are found by walking bytes, not by matching strings.

import type { Token } from '../../protocol/inspection';
import type { TokenPiece } from '../../protocol/token-piece';

export interface Span {
  /** UTF-16 offsets into the text: `text.slice(start, end)`. */
  readonly start: number;
  readonly end: number;
}

// GPT-2 spells every byte as one printable character so that its vocabulary is text (bytes_to_unicode in
// openai/gpt-2 src/encoder.py): printable Latin-1 bytes stand for themselves, the other 68 move to U+0100….
const BYTE_OF_CODE: Int16Array = (() => {
  const table = new Int16Array(256 + 68).fill(-1);
  const printable = (byte: number): boolean =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  let moved = 0;
  for (let byte = 0; byte < 256; byte++) {
    table[printable(byte) ? byte : 256 + moved++] = byte;
  }
  return table;
})();

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** The bytes a vocabulary entry stands for: `tokenBytes('Ġworld')` is the UTF-8 of " world". */
export function tokenBytes(vocabEntry: string): Uint8Array {
  const bytes = new Uint8Array(vocabEntry.length);
  for (let i = 0; i < vocabEntry.length; i++) {
    const code = vocabEntry.charCodeAt(i);
    const byte = code < BYTE_OF_CODE.length ? BYTE_OF_CODE[code]! : -1;
    if (byte < 0) throw new Error(`${JSON.stringify(vocabEntry)} is not a byte-level vocabulary entry`);
    bytes[i] = byte;
  }
  return bytes;
}

/** What a token shows on its own: its bytes as UTF-8, with U+FFFD for each piece of a split character. */
export function tokenText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * A token as the views label it: its text, and its bytes when they do not spell whole characters. Only a text
 * holding U+FFFD can have lost bytes, and it has when it does not encode back to them (a token may spell
 * U+FFFD itself, EF BF BD).
 */
export function tokenPiece(id: number, bytes: Uint8Array): TokenPiece {
  const text = tokenText(bytes);
  if (!text.includes('\uFFFD')) return { id, text };
  const back = encoder.encode(text);
  const whole = back.length === bytes.length && back.every((b, i) => b === bytes[i]);
  return whole ? { id, text } : { id, text, bytes: Array.from(bytes) };
}

/**
 * The UTF-16 range of `text` each token covers, given the tokens' byte lengths in order. A token that holds part
 * of a multi-byte character covers the whole character, so neighbours may share one.
 */
export function tokenSpans(text: string, tokenByteLengths: readonly number[]): Span[] {
  const chars = charBoundaries(text);
  const total = chars.byteStart[chars.byteStart.length - 1]!;
  if (tokenByteLengths.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`token byte lengths must be positive integers: [${tokenByteLengths.join(', ')}]`);
  }
  const sum = tokenByteLengths.reduce((a, b) => a + b, 0);
  if (sum !== total) {
    throw new Error(
      `token byte lengths [${tokenByteLengths.join(', ')}] add up to ${sum}, but the text is ${total} UTF-8 bytes`,
    );
  }
  const spans: Span[] = [];
  let first = 0; // the character holding the token's first byte
  let byte = 0;
  for (const length of tokenByteLengths) {
    // Both walks stop inside the text: byte < total, and byte + length <= total = the sentinel's start.
    while (chars.byteStart[first + 1]! <= byte) first++;
    let last = first; // the character holding the token's last byte
    while (chars.byteStart[last + 1]! < byte + length) last++;
    spans.push({ start: chars.utf16Start[first]!, end: chars.utf16Start[last + 1]! });
    byte += length;
  }
  return spans;
}

/** Tokens as the protocol ships them, from the text, the ids and their vocabulary entries. */
export function toTokens(text: string, ids: readonly number[], vocabEntries: readonly string[]): Token[] {
  if (ids.length !== vocabEntries.length) {
    throw new Error(`${ids.length} token ids but ${vocabEntries.length} vocabulary entries`);
  }
  const bytes = vocabEntries.map(tokenBytes);
  const spans = tokenSpans(text, bytes.map((b) => b.length));
  return spans.map((span, i) => ({ ...tokenPiece(ids[i]!, bytes[i]!), ...span }));
}

/**
 * Where each character starts, in UTF-8 bytes and in UTF-16 units, with one entry past the end. A lone
 * surrogate counts 3 bytes because TextEncoder (and so the tokenizer) writes it as U+FFFD.
 */
function charBoundaries(text: string): { byteStart: number[]; utf16Start: number[] } {
  const byteStart: number[] = [];
  const utf16Start: number[] = [];
  let bytes = 0;
  let units = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    byteStart.push(bytes);
    utf16Start.push(units);
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    units += char.length;
  }
  byteStart.push(bytes);
  utf16Start.push(units);
  return { byteStart, utf16Start };
}
