// What an ablation changed, read from two inspections of the same tokens: the ablated model's and the
// unablated baseline's. Pure functions, so the bar's sentences and the tests read the same numbers.

import type { Inspection } from '../protocol/inspection';
import { finalTopK } from '../protocol/inspection-reading';
import type { TokenPiece } from '../protocol/token-piece';
import { perplexity } from './token-colouring';

/** How the probability and rank of token `position` (predicted at position − 1) moved. */
export interface TokenChange {
  readonly position: number;
  readonly before: { readonly prob: number; readonly rank: number };
  readonly after: { readonly prob: number; readonly rank: number };
  /** log₂(after ÷ before): positive when the ablated model finds the token more likely. */
  readonly bits: number;
}

export function tokenChange(ablated: Inspection, baseline: Inspection, position: number): TokenChange | null {
  if (position <= 0 || position >= ablated.tokens.length) return null;
  const at = (i: Inspection) => ({ prob: i.next.prob.data[position - 1], rank: i.next.rank.data[position - 1] });
  const before = at(baseline);
  const after = at(ablated);
  return { position, before, after, bits: Math.log2(after.prob / before.prob) };
}

/** The whole text: perplexity before and after, and at how many positions the model's top guess changed. */
export interface TextChange {
  readonly perplexity: { readonly before: number; readonly after: number };
  readonly topGuessChanged: number;
  readonly positions: number;
  /** The top guess after the last token, before and after. */
  readonly nextGuess: { readonly before: TokenPiece; readonly after: TokenPiece };
}

export function textChange(ablated: Inspection, baseline: Inspection): TextChange {
  const n = ablated.tokens.length;
  let changed = 0;
  for (let q = 0; q < n; q++) if (finalTopK(ablated, q)[0].id !== finalTopK(baseline, q)[0].id) changed++;
  return {
    perplexity: { before: perplexity(baseline.next.prob.data), after: perplexity(ablated.next.prob.data) },
    topGuessChanged: changed,
    positions: n,
    nextGuess: { before: finalTopK(baseline, n - 1)[0], after: finalTopK(ablated, n - 1)[0] },
  };
}
