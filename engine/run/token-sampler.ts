// Choosing the next token from one step's logits: greedy, or sampled as Hugging Face does it (temperature,
// then top-k, then top-p, then a draw from what survives), with a seeded generator so a seed repeats.

import type { CompleteParams } from '../../protocol/model-messages';
import { SeededRandom } from '../models/seeded-random';

/** Temperature 0 is greedy; top-k 0 and top-p 1 keep every token. */
type SamplingSettings = Pick<CompleteParams, 'temperature' | 'topK' | 'topP'>;

/**
 * Indices that survive: the `topK` most likely (0 = all), then the smallest prefix of those, most likely
 * first, whose renormalised probabilities reach `topP`. Always at least one.
 */
export function nucleus(logits: ArrayLike<number>, topK: number, topP: number): number[] {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const kept = topK > 0 ? order.slice(0, topK) : order;
  if (topP >= 1) return kept;
  const max = logits[kept[0]];
  const weights = kept.map((i) => Math.exp(logits[i] - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let mass = 0;
  let count = 0;
  while (count < kept.length && (count === 0 || mass < topP)) mass += weights[count++] / total;
  return kept.slice(0, count);
}

/** The most likely token; the lowest id among equals. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The softmax of `logits` at `id`: the model's own probability for a token, whatever the sampler did. */
export function softmaxAt(logits: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return Math.exp(logits[id] - max) / sum;
}

export class TokenSampler {
  private readonly random: SeededRandom;

  constructor(
    private readonly settings: SamplingSettings,
    seed = Math.floor(Math.random() * 2 ** 32),
  ) {
    this.random = new SeededRandom(seed);
  }

  choose(logits: ArrayLike<number>): number {
    const { temperature, topK, topP } = this.settings;
    if (temperature <= 0) return argmax(logits);
    const tempered = Float32Array.from(logits, (x) => x / temperature);
    // Without limits every token stays, in any order: no need to sort the vocabulary.
    const kept = topK <= 0 && topP >= 1 ? Array.from(tempered.keys()) : nucleus(tempered, topK, topP);
    const max = tempered[argmax(tempered)];
    const weights = kept.map((i) => Math.exp(tempered[i] - max));
    let draw = this.random.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < kept.length; i++) if ((draw -= weights[i]) < 0) return kept[i];
    return kept[kept.length - 1];
  }
}
