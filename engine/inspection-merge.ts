// Re-inspecting after an edit near the end: positions before the edit cannot change (attention is causal),
// so the engine runs only the tail on the cached keys and values and splices it onto the previous result.

import type { Inspection, Token } from '../protocol/inspection';
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

  // Per layer, [head, query, key]: each head's kept queries from the last inspection, then the tail's.
  const patterns = head.attention.patterns.map((before, l): Float32Tensor => {
    const [heads, headN] = before.dims;
    const after = tail.attention.patterns[l].data;
    const data = new Float32Array(heads * n * n);
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < kept; q++) {
        // A kept query only ever saw keys 0 … q.
        const from = (h * headN + q) * headN;
        data.set(before.data.subarray(from, from + q + 1), (h * n + q) * n);
      }
      data.set(after.subarray(h * (n - kept) * n, (h + 1) * (n - kept) * n), (h * n + kept) * n);
    }
    return { dims: [heads, n, n], data };
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
