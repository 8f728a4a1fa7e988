// Attention from the cursor, as numbers: which token the cursor is at, what it attends to (one head, a layer's
// mean over heads, or the mean over every head of every layer), and the tint level of each earlier token.
// Pure, so the editor feature and the tests read the same values.

import { packedPatternLength, type Token } from '../protocol/inspection';
import type { Float32Tensor } from '../protocol/tensor';
import { tokenIndexAt } from '../protocol/token-index';

/** Whose attention: `layer` null for every layer, `head` null for the mean over a layer's heads. */
export interface AttentionSource {
  readonly layer: number | null;
  readonly head: number | null;
}

/** Weights from which a token counts as attended to, by tint level 1 … 5 (level 0 is no tint). */
export const ATTENTION_LEVELS = [0.02, 0.05, 0.1, 0.2, 0.4] as const;

/**
 * The token whose attention is shown: the one ending at or containing the character before the cursor (the
 * token just typed), or the first token when the cursor is at the text's start; null outside the text.
 */
export function cursorToken(tokens: readonly Token[], offset: number): number | null {
  return tokenIndexAt(tokens, offset > 0 ? offset - 1 : offset);
}

/**
 * The packed causal pattern ([n·(n+1)/2]) of `source` from the layers' patterns ([head, n·(n+1)/2] each, the
 * layers `source` names): one head's, or the mean over the heads (and over the layers given).
 */
export function sourcePattern(layers: readonly Float32Tensor[], head: number | null): Float32Array {
  const length = layers[0].dims[1];
  const out = new Float32Array(length);
  let count = 0;
  for (const layer of layers) {
    const heads = head === null ? Array.from({ length: layer.dims[0] }, (_, h) => h) : [head];
    for (const h of heads) {
      const row = layer.data.subarray(h * length, (h + 1) * length);
      for (let k = 0; k < length; k++) out[k] += row[k];
      count++;
    }
  }
  for (let k = 0; k < length; k++) out[k] /= count;
  return out;
}

/** Each earlier token's tint level (0 … 5) in query `q`'s row of a packed pattern; the query itself is left out. */
export function attendedLevels(pattern: Float32Array, q: number): { readonly index: number; readonly weight: number; readonly level: number }[] {
  const row = pattern.subarray(packedPatternLength(q), packedPatternLength(q) + q + 1);
  const out: { index: number; weight: number; level: number }[] = [];
  for (let j = 0; j < q; j++) {
    const weight = row[j];
    const level = ATTENTION_LEVELS.filter((t) => weight >= t).length;
    if (level > 0) out.push({ index: j, weight, level });
  }
  return out;
}
