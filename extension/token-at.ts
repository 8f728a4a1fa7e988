// What the model made of the token at a document offset, from an inspection already computed: the hover's
// facts and its words, kept free of vscode so they are tested as plain data.

import type { Inspection, TokenReading } from '../protocol/inspection';
import { finalTopK, readingTopK, surprisalBits, type TopEntry } from '../protocol/inspection-reading';
import { formatBits, formatProbability, formatRank } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';

export interface TokenFacts extends TokenPiece {
  readonly index: number;
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
  const { start, end, ...piece } = inspection.tokens[index];
  const facts = { index, ...piece, start: start + baseOffset, end: end + baseOffset };
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

/** The hover's Markdown for the token of `facts`, one of `count`: the token, how likely it was, the guesses. */
export function factsMarkdown(facts: TokenFacts, count: number): string {
  // A backtick in a token would end its code span: it shows as a look-alike.
  const code = (piece: TokenPiece) => `\`${pieceLabel(piece).replace(/`/g, 'ˋ')}\``;
  const head = `**Glassbox** · token ${facts.index + 1} of ${count}\n\n${code(facts)} · id ${facts.id}\n\n`;
  if (facts.prob === null) return `${head}The first token: the model had no context to predict it from.\n\n`;
  const guesses = facts.guesses.map((g, i) => `${i + 1}. ${code(g)} ${formatProbability(g.prob)}`).join('  \n');
  return (
    `${head}probability **${formatProbability(facts.prob)}** · surprisal ${formatBits(facts.surprisal ?? Number.NaN)} · rank ${formatRank(facts.rank ?? -1)}\n\n` +
    `The model's top guesses here:  \n${guesses}\n\n`
  );
}
