// Top-k then top-p (nucleus) filtering of one step's logits, in Hugging Face's order. transformers.js 4.3
// declares TopPLogitsWarper but never applies it, so without this a top-p setting silently did nothing.

import { LogitsProcessor, Tensor } from '@huggingface/transformers';

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

export class NucleusFilter extends LogitsProcessor {
  constructor(
    private readonly topK: number,
    private readonly topP: number,
  ) {
    super();
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const data = logits.data as Float32Array; // [batch = 1, vocab]
    // A new tensor: earlier processors may keep a reference to the unfiltered logits.
    const filtered = new Float32Array(data.length).fill(-Infinity);
    for (const i of nucleus(data, this.topK, this.topP)) filtered[i] = data[i];
    return new Tensor('float32', filtered, logits.dims);
  }
}
