// The generated part of an explained completion, read from its inspection: which tokens the model wrote, how
// sure it was of them, and which context it read while writing them. Pure, so the views and tests agree.

import type { Inspection } from '../protocol/inspection';
import type { GeneratedSpan } from '../protocol/panel-messages';

export function isGenerated(span: GeneratedSpan | null | undefined, position: number): boolean {
  return span !== null && span !== undefined && position >= span.start && position < span.end;
}

/**
 * Whether the lens column at `position` chose a generated token: position j − 1 predicts token j, so the
 * columns from the last prompt token to the last generated token but one.
 */
export function choseGenerated(span: GeneratedSpan | null | undefined, position: number): boolean {
  return isGenerated(span, position + 1);
}

export interface GeneratedStats {
  readonly count: number;
  /** Mean of the probabilities the model gave the generated tokens where it chose them. */
  readonly meanProb: number;
  /** How many were the model's top guess (rank 0): all of them for greedy decoding. */
  readonly topGuesses: number;
  /** The generated token the model found least likely, or null when there is none with a prediction. */
  readonly weakest: { readonly position: number; readonly prob: number } | null;
}

export function generatedStats(inspection: Inspection, span: GeneratedSpan): GeneratedStats {
  let total = 0;
  let count = 0;
  let topGuesses = 0;
  let weakest: GeneratedStats['weakest'] = null;
  // Token j is judged by the prediction at j − 1; a first token has none.
  for (let j = Math.max(span.start, 1); j < span.end; j++) {
    const prob = inspection.next.prob.data[j - 1];
    total += prob;
    count++;
    if (inspection.next.rank.data[j - 1] === 0) topGuesses++;
    if (!weakest || prob < weakest.prob) weakest = { position: j, prob };
  }
  return { count: span.end - span.start, meanProb: count ? total / count : Number.NaN, topGuesses, weakest };
}

export interface ContextUse {
  /** [key] mean attention weight each position received from the positions that chose the generated tokens. */
  readonly weights: Float32Array;
  /** The query positions averaged, [from, to): the last prompt token and every generated token but the last. */
  readonly queries: { readonly from: number; readonly to: number };
  /** The part of that attention that went to the prompt (positions before the span); the rest went to earlier generated tokens. */
  readonly onPrompt: number;
}

/**
 * Which context the completion read, for one attention pattern ([query, key], n × n, as headPattern gives it):
 * the mean over the positions that chose the generated tokens of the weight each key got. Position j − 1 chose
 * token j, so the rows averaged are those, not the generated tokens' own rows, the last of which chose nothing.
 */
export function contextUse(pattern: Float32Array, n: number, span: GeneratedSpan): ContextUse {
  const from = Math.max(0, span.start - 1);
  const to = Math.max(from, span.end - 1);
  const weights = new Float32Array(n); // [key]
  for (let q = from; q < to; q++) {
    for (let k = 0; k <= q; k++) weights[k] += pattern[q * n + k];
  }
  const rows = to - from;
  let onPrompt = 0;
  for (let k = 0; k < n; k++) {
    if (rows > 0) weights[k] /= rows;
    if (k < span.start) onPrompt += weights[k];
  }
  return { weights, queries: { from, to }, onPrompt };
}
