// Numbers behind the attention views: one head's pattern (or the mean over a layer's heads), thumbnails,
// cell sizes and the pairs the lines view draws. Pure, so the canvas code only paints.

import { patternRow, type Attention } from '../protocol/inspection';

/** A head, or the mean over a layer's heads when `head` is null. */
export interface HeadRef {
  readonly layer: number;
  readonly head: number | null;
}

export function attentionShape(attention: Attention): { layers: number; heads: number; n: number } {
  const [heads, packed] = attention.patterns[0]?.dims ?? [0, 0];
  // packed = n·(n+1)/2
  return { layers: attention.patterns.length, heads, n: Math.round((Math.sqrt(8 * packed + 1) - 1) / 2) };
}

/** The full [query, key] pattern (zero above the diagonal) of one head, or the mean of the layer's heads. */
export function headPattern(attention: Attention, ref: HeadRef): Float32Array {
  const { heads, n } = attentionShape(attention);
  const layer = attention.patterns[ref.layer];
  const out = new Float32Array(n * n); // [query, key]
  const shown = ref.head === null ? Array.from({ length: heads }, (_, h) => h) : [ref.head];
  for (const h of shown) {
    for (let q = 0; q < n; q++) {
      const row = patternRow(layer, h, q);
      for (let key = 0; key <= q; key++) out[q * n + key] += row[key];
    }
  }
  if (shown.length > 1) for (let i = 0; i < out.length; i++) out[i] /= shown.length;
  return out;
}

/**
 * An n×n pattern reduced (or enlarged) to size×size by taking the maximum of each block: a thumbnail must
 * keep a sharp one-key stripe visible, which averaging would wash out.
 */
export function maxPool(pattern: Float32Array, n: number, size: number): Float32Array {
  return maxPoolOf(n, size, (q, k) => pattern[q * n + k]);
}

/**
 * A thumbnail of one head (read straight from its packed rows, without unpacking n×n) or of the layer's
 * mean, max-pooled to size×size.
 */
export function headThumbnail(attention: Attention, ref: HeadRef, size: number): Float32Array {
  const { n } = attentionShape(attention);
  if (ref.head === null) return maxPool(headPattern(attention, ref), n, size);
  const layer = attention.patterns[ref.layer];
  const start = ref.head * layer.dims[1];
  // Query q's row starts after the q·(q+1)/2 weights of the rows before it; keys after q are zero.
  return maxPoolOf(n, size, (q, k) => (k <= q ? layer.data[start + (q * (q + 1)) / 2 + k] : 0));
}

function maxPoolOf(n: number, size: number, at: (query: number, key: number) => number): Float32Array {
  const out = new Float32Array(size * size); // [row, column]
  for (let r = 0; r < size; r++) {
    const [q0, q1] = block(r, n, size);
    for (let c = 0; c < size; c++) {
      const [k0, k1] = block(c, n, size);
      let m = 0;
      for (let q = q0; q < q1; q++) for (let k = k0; k < k1; k++) m = Math.max(m, at(q, k));
      out[r * size + c] = m;
    }
  }
  return out;
}

function block(i: number, n: number, size: number): [number, number] {
  const start = Math.floor((i * n) / size);
  return [start, Math.max(start + 1, Math.floor(((i + 1) * n) / size))];
}

/** Cell size in CSS pixels for an n×n heatmap in `available` pixels: readable when small, whole when large. */
export function heatmapCellSize(n: number, available: number, min = 2, max = 26): number {
  return Math.max(min, Math.min(max, Math.floor(available / Math.max(n, 1))));
}

export interface AttentionPair {
  readonly query: number;
  readonly key: number;
  readonly weight: number;
}

/**
 * The pairs the lines view draws, strongest first: for one query all keys at or above `minWeight`, or for
 * every query when `query` is null, at most `limit` of them so a long text stays drawable.
 */
export function attentionPairs(pattern: Float32Array, n: number, query: number | null, minWeight: number, limit = 4000): AttentionPair[] {
  const pairs: AttentionPair[] = [];
  const queries = query === null ? Array.from({ length: n }, (_, q) => q) : [query];
  for (const q of queries) {
    for (let key = 0; key <= q; key++) {
      const weight = pattern[q * n + key];
      if (weight >= minWeight) pairs.push({ query: q, key, weight });
    }
  }
  pairs.sort((a, b) => b.weight - a.weight);
  return pairs.slice(0, limit);
}

/** Stroke width of a line for `weight`: area-like growth so weak links stay hairlines. */
export function lineWidth(weight: number, maxWidth = 6): number {
  return Math.max(0.5, Math.sqrt(Math.min(Math.max(weight, 0), 1)) * maxWidth);
}

export function headName(ref: HeadRef, hooks: readonly string[], heads: number): string {
  const hook = hooks[ref.layer] ?? `blocks.${ref.layer}.attn.hook_pattern`;
  return ref.head === null ? `${hook} · mean of ${heads} heads` : `${hook} · head ${ref.head}`;
}
