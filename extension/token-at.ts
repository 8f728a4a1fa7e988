// What the model made of the token at a document offset, from an inspection already computed: the hover's
// facts, kept free of vscode so they are tested as plain data.

import type { Inspection, TokenReading } from '../protocol/inspection';
import { finalTopK, readingTopK, surprisalBits, type TopEntry } from '../protocol/inspection-reading';

export interface TokenFacts {
  readonly index: number;
  readonly id: number;
  readonly text: string;
  /** Document offsets the token covers. */
  readonly start: number;
  readonly end: number;
  /** How likely the model found this token given the text before it; null for the first token. */
  readonly prob: number | null;
  /** -log2(prob), in bits. */
  readonly surprisal: number | null;
  /** 0 = the model's top guess. */
  readonly rank: number | null;
  /** What the model expected at this position, most likely first. */
  readonly guesses: readonly TopEntry[];
}

/**
 * The token covering `offset` (a document offset), given an inspection (or a token reading, as surprisal
 * highlighting has) whose token offsets are relative to `baseOffset`. A token's facts come from the position
 * before it: that is where the model predicted it.
 */
export function tokenAt(inspection: Inspection | TokenReading, baseOffset: number, offset: number, guesses = 5): TokenFacts | null {
  const relative = offset - baseOffset;
  const index = inspection.tokens.findIndex((t) => relative >= t.start && relative < t.end);
  if (index < 0) return null;
  const token = inspection.tokens[index];
  const facts = { index, id: token.id, text: token.text, start: token.start + baseOffset, end: token.end + baseOffset };
  if (index === 0) return { ...facts, prob: null, surprisal: null, rank: null, guesses: [] };
  const before = index - 1;
  const prob = inspection.next.prob.data[before];
  return {
    ...facts,
    prob,
    surprisal: surprisalBits(prob),
    rank: inspection.next.rank.data[before],
    guesses: ('lens' in inspection ? finalTopK(inspection, before) : readingTopK(inspection, before)).slice(0, guesses),
  };
}
