// Numbers behind the attention views: one head's pattern (or the mean over a layer's heads), thumbnails,
// cell sizes and the pairs the lines view draws. Pure, so the canvas code only paints.

import { packedPatternTokens, patternRow, type Attention } from '../protocol/inspection';
import type { Float32Tensor } from '../protocol/tensor';

/** A head, or the mean over a layer's heads when `head` is null. */
export interface HeadRef {
  readonly layer: number;
  readonly head: number | null;
}

/** Layers and heads, from the thumbnails every layer has ([head + 1, tiles, tiles]). */
export function attentionShape(attention: Attention): { layers: number; heads: number } {
  return { layers: attention.thumbnails.length, heads: (attention.thumbnails[0]?.dims[0] ?? 1) - 1 };
}

/** The full [query, key] pattern (zero above the diagonal) of one packed causal pattern ([1, n·(n+1)/2]). */
export function squarePattern(pattern: Float32Tensor): Float32Array {
  const n = packedPatternTokens(pattern.dims[1]);
  const out = new Float32Array(n * n); // [query, key]
  for (let q = 0; q < n; q++) out.set(patternRow(pattern, 0, q), q * n);
  return out;
}

/** A head's thumbnail (or the layer mean's), tiles × tiles, as the engine max-pooled it. */
export function headThumbnail(attention: Attention, ref: HeadRef): { data: Float32Array; tiles: number } {
  const layer = attention.thumbnails[ref.layer];
  const [kinds, tiles] = layer.dims;
  const index = ref.head ?? kinds - 1; // the mean comes after the heads
  return { data: layer.data.subarray(index * tiles * tiles, (index + 1) * tiles * tiles), tiles };
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
