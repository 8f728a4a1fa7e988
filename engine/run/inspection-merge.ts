// Re-inspecting after an edit near the end: positions before the edit cannot change (attention is causal),
// so the engine runs only the tail on the cached keys and values and splices it onto the previous result.
// (The attention is not spliced: the engine rebuilds it from the cache's queries and keys of all tokens.)

import type { Token } from '../../protocol/inspection';
import type { Float32Tensor, Int32Tensor } from '../../protocol/tensor';
import type { LensReading } from './inspection-outputs';

/**
 * `head` is a full reading whose first `kept` positions are still valid; `tail` covers positions kept … n-1 of
 * the new text. Returns the reading of all n `tokens`.
 */
export function spliceInspection(head: LensReading, tail: LensReading, kept: number, tokens: readonly Token[]): LensReading {
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
    ...(head.residuals && tail.residuals ? { residuals: rows(head.residuals, tail.residuals) as Float32Tensor } : {}),
  };
}
