// What colours a token chip. Token j is judged by the prediction made one position earlier (position j−1
// predicts token j), so the first token, which nothing predicted, has no value.

import type { Inspection } from '../protocol/inspection';
import { surprisalBits } from '../protocol/inspection-reading';
import type { TokenColourMode } from '../protocol/panel-messages';
import { changeScale, probabilityScale, rankScale, surprisalScale, type ColourScale } from './colour-scale';

/**
 * The value token `j` is coloured by in `mode`, or NaN when it has none. `change` compares with `baseline`
 * (the same tokens in the unablated model): log₂(p / p_baseline), NaN without one.
 */
export function tokenValue(next: Inspection['next'], j: number, mode: TokenColourMode, baseline?: Inspection['next']): number {
  if (j <= 0 || j > next.prob.data.length - 1) return Number.NaN;
  const prob = next.prob.data[j - 1];
  switch (mode) {
    case 'change':
      return baseline ? Math.log2(prob / baseline.prob.data[j - 1]) : Number.NaN;
    case 'probability':
      return prob;
    case 'surprisal':
      return surprisalBits(prob);
    case 'rank': {
      const rank = next.rank.data[j - 1];
      return rank >= 0 ? rank : Number.NaN;
    }
  }
}

export function tokenScale(mode: TokenColourMode): ColourScale {
  switch (mode) {
    case 'probability':
      return probabilityScale('probability the model gave the token');
    case 'surprisal':
      return surprisalScale();
    case 'rank':
      return rankScale('rank among the model’s guesses');
    case 'change':
      return changeScale('change in bits, log₂(p ablated ÷ p unablated)');
  }
}

/**
 * exp of the mean negative log-likelihood over the predictions that have a target. A probability of 0
 * (possible after float underflow) makes it infinite, which is the honest answer.
 */
export function perplexity(probs: ArrayLike<number>): number {
  let total = 0;
  let count = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (Number.isNaN(p)) continue;
    total -= Math.log(p);
    count++;
  }
  return count === 0 ? Number.NaN : Math.exp(total / count);
}

export interface TokenStats {
  readonly tokens: number;
  /** Positions with a next token to predict: all but the last. */
  readonly predictions: number;
  readonly perplexity: number;
  readonly meanSurprisalBits: number;
}

export function tokenStats(inspection: Inspection): TokenStats {
  const probs = inspection.next.prob.data;
  const ppl = perplexity(probs);
  const predictions = Array.from(probs).filter((p) => !Number.isNaN(p)).length;
  return {
    tokens: inspection.tokens.length,
    predictions,
    perplexity: ppl,
    // log₂(perplexity) is the mean surprisal in bits.
    meanSurprisalBits: Math.log2(ppl),
  };
}
