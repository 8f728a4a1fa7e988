// What a sampler would do with the model's next-token distribution at one position: temperature, then
// top-k, then top-p (the order Hugging Face's samplers apply them), each renormalising what survives.
//
// The inspection carries only the K most likely tokens, so the explorer's top-k runs from 1 to K and is
// always on: the other tokens are cut by that top-k exactly as a real sampler would cut them, which makes
// every number shown exact rather than a guess about the unseen tail. The tail's mass is reported, not used.

import type { SamplingSettings } from '../protocol/panel-messages';

/** Why an entry can or cannot be sampled. */
export type SamplingFate = 'kept' | 'top-k' | 'greedy' | 'top-p';

export interface SamplingOutcome {
  /** Probability of sampling each input entry (same order as the input); 0 for entries that were cut. */
  readonly probs: number[];
  /** Which step cut each entry, in input order. */
  readonly fates: SamplingFate[];
  /** How many entries survive. */
  readonly kept: number;
  /** Entropy of the sampling distribution in nats; exp of it is the effective number of choices. */
  readonly entropy: number;
}

/** Below this a temperature is treated as 0 (greedy): dividing log-probabilities by it would overflow. */
const greedyBelow = 1e-3;

export function applySampling(probs: readonly number[], settings: SamplingSettings): SamplingOutcome {
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const candidates = order.slice(0, Math.max(1, Math.min(settings.topK, probs.length)));

  // Temperature: softmax(z / T) ∝ p^(1/T); computed relative to the largest p to stay in range.
  const weights = new Map<number, number>();
  if (settings.temperature < greedyBelow) {
    weights.set(candidates[0], 1);
  } else {
    const top = Math.log(probs[candidates[0]]);
    for (const i of candidates) weights.set(i, probs[i] > 0 ? Math.exp((Math.log(probs[i]) - top) / settings.temperature) : 0);
  }
  const tempered = normalise(weights);

  // Top-p: keep the most likely tokens while the mass before each is below p; the first always stays.
  // The slack keeps float rounding in the running sum (0.5 + 0.3 → 0.79999…) from deciding a tie with p.
  const nucleus = new Map<number, number>();
  let before = 0;
  for (const i of candidates) {
    const q = tempered.get(i) ?? 0;
    if (q <= 0 || (nucleus.size > 0 && before >= settings.topP - 1e-9)) break;
    nucleus.set(i, q);
    before += q;
  }
  const final = normalise(nucleus);

  const out = probs.map((_, i) => final.get(i) ?? 0);
  const inTopK = new Set(candidates);
  const fates = probs.map((_, i): SamplingFate => {
    if (final.has(i)) return 'kept';
    if (!inTopK.has(i)) return 'top-k';
    return tempered.has(i) ? 'top-p' : 'greedy';
  });
  const entropy = out.reduce((h, q) => (q > 0 ? h - q * Math.log(q) : h), 0);
  return { probs: out, fates, kept: final.size, entropy };
}

function normalise(weights: ReadonlyMap<number, number>): Map<number, number> {
  let total = 0;
  for (const w of weights.values()) total += w;
  const out = new Map<number, number>();
  for (const [i, w] of weights) if (w > 0) out.set(i, w / total);
  return out;
}

/** Probability mass outside the listed tokens: what top-k ≤ K cuts before anything else happens. */
export function tailMass(probs: readonly number[]): number {
  return Math.max(0, 1 - probs.reduce((a, b) => a + b, 0));
}
