// What one attention head writes: the Heads tab's head card.
//
// Definitions, for head h of layer l, d = d_model, d_h = d / n_head:
//   W_E = wte [vocab, d]; W_U = W_Eᵀ (GPT-2 ties them, and the engine refuses a model that does not at load,
//   so every loadable model has this card);
//   W_V^h = columns 2d + h·d_h … 2d + (h+1)·d_h of `h.{l}.attn.c_attn.weight` [d, 3d] (Conv1D: in × out, the
//   value third), [d, d_h];
//   W_O^h = rows h·d_h … (h+1)·d_h of `h.{l}.attn.c_proj.weight` [d, d], [d_h, d].
//   OV circuit of a source token t:   ov(t) = W_E[t] · W_V^h · W_O^h · W_U   [vocab]
//     — the weights alone: no layer norm before the head, no ln_final, no biases (b_V, b_O). What the head
//     would write about t into the logits if it attended only to t's bare embedding.
//   Sources: the k positions the head attends to most from position P (its `attn.hook_pattern` row at P in
//     this text), their tokens t.
//   Direct effect at P: c = the head's `blocks.{l}.attn.hook_result` at P, read as the Why tab's attribution
//     reads any component (attribution.ts): logit_t = ((c − mean(c)) / s) · (w_lnf ⊙ W_U[:,t]), s = ln_final's
//     scale of the final residual at P. The promoted tokens are the largest, the suppressed the smallest.
//
// Cost: one d × vocab product per vector (k sources and the direct effect, all in one pass over W_U read
// from the weights file in chunks, so the 154 MB of GPT-2 small's wte is never held at once).

/** Rows of W_U (= wte) read at once: 2,048 × 768 floats is 6 MB. */
const UNEMBED_CHUNK_ROWS = 2048;

/** The `k` positions of `row` (a pattern row, keys 0 … P) with the largest weights, largest first, earlier first on ties. */
export function topSources(row: ArrayLike<number>, k: number): { position: number; attention: number }[] {
  return Array.from(row, (attention, position) => ({ position, attention }))
    .sort((a, b) => b.attention - a.attention || a.position - b.position)
    .slice(0, k);
}

/**
 * W_E[t] · W_V^h · W_O^h: [d]. `embedding` is W_E[t] [d], `cAttn` the layer's c_attn.weight [d, 3d], `cProj`
 * its c_proj.weight [d, d].
 */
export function ovVector(embedding: Float32Array, cAttn: Float32Array, cProj: Float32Array, head: number, nHead: number): Float32Array {
  const d = embedding.length;
  const dh = d / nHead;
  const value = new Float64Array(dh); // W_E[t] · W_V^h
  for (let i = 0; i < d; i++) {
    const e = embedding[i];
    const row = i * 3 * d + 2 * d + head * dh;
    for (let j = 0; j < dh; j++) value[j] += e * cAttn[row + j];
  }
  const out = new Float64Array(d); // … · W_O^h
  for (let j = 0; j < dh; j++) {
    const v = value[j];
    const row = (head * dh + j) * d;
    for (let i = 0; i < d; i++) out[i] += v * cProj[row + i];
  }
  return Float32Array.from(out);
}

/**
 * Each vector [d] times W_U: [vocab] logits per vector. `rows(first, count)` reads `count` rows of wte
 * ([count, d]) from row `first`, so W_U streams through once for all the vectors. Float32 vectors and four
 * partial sums: about twice as fast as a plain Float64 loop in V8, and what makes six products fit in a
 * quarter of a second on GPT-2 small.
 */
export function unembed(vectors: readonly Float32Array[], vocab: number, d: number, rows: (first: number, count: number) => Float32Array): Float32Array[] {
  const logits = vectors.map(() => new Float32Array(vocab));
  const whole = d - (d % 4);
  for (let first = 0; first < vocab; first += UNEMBED_CHUNK_ROWS) {
    const count = Math.min(UNEMBED_CHUNK_ROWS, vocab - first);
    const chunk = rows(first, count);
    for (let r = 0; r < count; r++) {
      const at = r * d;
      for (let v = 0; v < vectors.length; v++) {
        const x = vectors[v];
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let i = 0; i < whole; i += 4) {
          s0 += x[i] * chunk[at + i];
          s1 += x[i + 1] * chunk[at + i + 1];
          s2 += x[i + 2] * chunk[at + i + 2];
          s3 += x[i + 3] * chunk[at + i + 3];
        }
        for (let i = whole; i < d; i++) s0 += x[i] * chunk[at + i];
        logits[v][first + r] = s0 + s1 + s2 + s3;
      }
    }
  }
  return logits;
}

/** The `k` largest entries of `logits` (or the smallest, `lowest`), as ids and values, in that order; lower ids first on ties. */
export function topTokens(logits: Float32Array, k: number, lowest = false): { id: number; value: number }[] {
  const sign = lowest ? -1 : 1;
  const best: { id: number; value: number }[] = [];
  for (let id = 0; id < logits.length; id++) {
    const value = logits[id];
    if (best.length === k && sign * value <= sign * best[k - 1].value) continue;
    let at = best.length;
    while (at > 0 && sign * value > sign * best[at - 1].value) at--;
    best.splice(at, 0, { id, value });
    if (best.length > k) best.pop();
  }
  return best;
}
