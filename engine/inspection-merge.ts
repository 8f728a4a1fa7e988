// Re-inspecting after an edit near the end: positions before the edit cannot change (attention is causal),
// so the engine runs only the tail on the cached keys and values and splices it onto the previous result.

import { packedPatternLength, type Inspection, type Token } from '../protocol/inspection';
import type { Float32Tensor, Int32Tensor } from '../protocol/tensor';

/**
 * `head` is a full inspection whose first `kept` positions are still valid; `tail` covers positions
 * kept … n-1 of the new text (its patterns are [layer, head, tail query, n key]). Returns the inspection of
 * all n `tokens`.
 */
export function spliceInspection(head: Inspection, tail: Inspection, kept: number, tokens: readonly Token[]): Inspection {
  const n = tokens.length;
  const rows = <T extends Float32Array | Int32Array>(a: { dims: readonly number[]; data: T }, b: { dims: readonly number[]; data: T }): { dims: number[]; data: T } => {
    // [point, position, …rest]: per point, the head's first `kept` positions then every tail position.
    const [points, headN] = a.dims;
    const width = a.dims.slice(2).reduce((x, y) => x * y, 1);
    const tailN = b.dims[1];
    const data = new (a.data.constructor as new (length: number) => T)(points * n * width);
    for (let p = 0; p < points; p++) {
      data.set(a.data.subarray(p * headN * width, (p * headN + kept) * width), p * n * width);
      data.set(b.data.subarray(p * tailN * width, (p + 1) * tailN * width), (p * n + kept) * width);
    }
    return { dims: [points, n, ...a.dims.slice(2)], data };
  };
  const positions = <T extends Float32Array | Int32Array>(a: { data: T }, b: { data: T }): { dims: number[]; data: T } => {
    const data = new (a.data.constructor as new (length: number) => T)(n);
    data.set(a.data.subarray(0, kept));
    data.set(b.data, kept);
    return { dims: [n], data };
  };

  // Per layer and head, packed causal rows: the kept queries' rows from the last inspection (a kept query only
  // ever saw keys 0 … q), then the tail's rows, which continue them.
  const keptLength = packedPatternLength(kept);
  const length = packedPatternLength(n);
  const patterns = head.attention.patterns.map((before, l): Float32Tensor => {
    const [heads, beforeLength] = before.dims;
    const after = tail.attention.patterns[l];
    const afterLength = after.dims[1];
    const data = new Float32Array(heads * length);
    for (let h = 0; h < heads; h++) {
      data.set(before.data.subarray(h * beforeLength, h * beforeLength + keptLength), h * length);
      data.set(after.data.subarray(h * afterLength, (h + 1) * afterLength), h * length + keptLength);
    }
    return { dims: [heads, length], data };
  });

  const lensTarget = head.lens.target && tail.lens.target ? { id: tail.lens.target.id, prob: rows(head.lens.target.prob, tail.lens.target.prob) as Float32Tensor, rank: rows(head.lens.target.rank, tail.lens.target.rank) as Int32Tensor } : null;
  return {
    ...tail,
    tokens,
    pieces: { ...head.pieces, ...tail.pieces },
    next: { prob: positions(head.next.prob, tail.next.prob) as Float32Tensor, rank: positions(head.next.rank, tail.next.rank) as Int32Tensor },
    lens: {
      hooks: tail.lens.hooks,
      topIds: rows(head.lens.topIds, tail.lens.topIds) as Int32Tensor,
      topProbs: rows(head.lens.topProbs, tail.lens.topProbs) as Float32Tensor,
      entropy: rows(head.lens.entropy, tail.lens.entropy) as Float32Tensor,
      kl: rows(head.lens.kl, tail.lens.kl) as Float32Tensor,
      target: lensTarget,
    },
    attention: { hooks: tail.attention.hooks, patterns },
    ...(head.residuals && tail.residuals ? { residuals: rows(head.residuals, tail.residuals) as Float32Tensor } : {}),
  };
}
