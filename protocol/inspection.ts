// What one inspection of a text yields: the tokens, the next-token predictions, the logit lens at every
// residual point and the attention patterns. Produced by the engine, shipped to the host and the webviews.

import type { Float32Tensor, Int32Tensor } from './tensor';
import type { TokenPiece } from './token-piece';

export type Backend = 'cpu' | 'webgpu';

export interface ModelSummary {
  /** Hub id or folder the weights came from. */
  readonly name: string;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly nCtx: number;
  readonly vocabSize: number;
}

/**
 * One token with the UTF-16 range of the input it covers (`text.slice(start, end)`); a token holding part of a
 * character covers the whole character, and carries its bytes.
 */
export interface Token extends TokenPiece {
  readonly start: number;
  readonly end: number;
}

export interface LensTarget {
  readonly id: number;
  /** [point, position] */
  readonly prob: Float32Tensor;
  /** [point, position]; 0 = the lens's top-1 */
  readonly rank: Int32Tensor;
}

/**
 * The logit lens: at each residual point, ln_final then the unembedding, reduced in the graph.
 * Points are `blocks.0.hook_resid_pre` … `blocks.{L-1}.hook_resid_pre`, then `blocks.{L-1}.hook_resid_post`;
 * the last point is exactly the model's output distribution.
 */
export interface LogitLens {
  /** TransformerLens names of the residual points, length P = L + 1. */
  readonly hooks: readonly string[];
  /** [point, position, k] */
  readonly topIds: Int32Tensor;
  /** [point, position, k] */
  readonly topProbs: Float32Tensor;
  /** [point, position], nats */
  readonly entropy: Float32Tensor;
  /** [point, position], KL(final || lens) in nats */
  readonly kl: Float32Tensor;
  readonly target: LensTarget | null;
}

export interface Attention {
  /** `blocks.{l}.attn.hook_pattern`, length L. */
  readonly hooks: readonly string[];
  /**
   * Per layer, [head + 1, tiles, tiles]: each head's pattern, then the mean over the layer's heads,
   * max-pooled in square blocks of ⌈n / THUMBNAIL_MAX_TILES⌉ tokens (see thumbnailTiles; the last blocks are
   * padded with zeros). Every layer has them: they are what the overview of all heads draws.
   */
  readonly thumbnails: readonly Float32Tensor[];
  /**
   * Per layer, [head, n·(n+1)/2]: each head's causal pattern packed row by row, query q holding its weights
   * for keys 0 … q (the rest are zero); read it through patternRow. Null for a layer not sent: a short text
   * carries every layer, a long one only the layers asked for (at 1,024 tokens each layer is 25 MB), and the
   * others come one at a time on request (the model process's `attention/pattern`).
   */
  readonly patterns: readonly (Float32Tensor | null)[];
}

export interface Inspection {
  readonly model: ModelSummary;
  readonly backend: Backend;
  readonly tokens: readonly Token[];
  /** How each token id that appears anywhere in this inspection (inputs, top-k, target) reads on its own. */
  readonly pieces: Readonly<Record<number, TokenPiece>>;
  /** Probability and rank of the token that actually comes next, at each position; the last has none. */
  readonly next: {
    /** [position]; NaN at the last position */
    readonly prob: Float32Tensor;
    /** [position]; -1 at the last position */
    readonly rank: Int32Tensor;
  };
  readonly lens: LogitLens;
  readonly attention: Attention;
  /** The residual stream at each lens point, [point, position, d_model]; only when asked for. */
  readonly residuals?: Float32Tensor;
}

export function residHookNames(nLayer: number): string[] {
  const names: string[] = [];
  for (let l = 0; l < nLayer; l++) names.push(`blocks.${l}.hook_resid_pre`);
  names.push(`blocks.${nLayer - 1}.hook_resid_post`);
  return names;
}

/** Entries of a packed causal pattern of `n` queries: query q holds q + 1. */
export function packedPatternLength(n: number): number {
  return (n * (n + 1)) / 2;
}

/** The n of a packed causal pattern of `length` entries a head (its inverse). */
export function packedPatternTokens(length: number): number {
  return Math.round((Math.sqrt(8 * length + 1) - 1) / 2);
}

/** The attention weights of query `q` of `head` over keys 0 … q, from one layer's packed patterns (a view). */
export function patternRow(layer: Float32Tensor, head: number, q: number): Float32Array {
  const start = head * layer.dims[1] + packedPatternLength(q);
  return layer.data.subarray(start, start + q + 1);
}

/**
 * One head's packed pattern out of a layer's ([1, n·(n+1)/2]), or for `head` null the mean over the layer's
 * heads: what the panel draws, a twelfth of what the layer weighs.
 */
export function headOfLayer(layer: Float32Tensor, head: number | null): Float32Tensor {
  const [heads, packed] = layer.dims;
  if (head !== null) return { dims: [1, packed], data: layer.data.slice(head * packed, (head + 1) * packed) };
  const mean = new Float32Array(packed);
  for (let h = 0; h < heads; h++) {
    const row = layer.data.subarray(h * packed, (h + 1) * packed);
    for (let i = 0; i < packed; i++) mean[i] += row[i];
  }
  for (let i = 0; i < packed; i++) mean[i] /= heads;
  return { dims: [1, packed], data: mean };
}

/**
 * What an inspection knows first, from a plain forward's logits: the model's own next-token distribution at
 * every position (the same numbers the full inspection reports at its last lens point). The panel paints the
 * tokens from it while the lens and the attention patterns are still being computed.
 */
export interface TokenReading {
  readonly model: ModelSummary;
  readonly backend: Backend;
  readonly tokens: readonly Token[];
  readonly pieces: Inspection['pieces'];
  readonly next: Inspection['next'];
  /** The final distribution's top-k: ids and probabilities, [position, k]. */
  readonly top: { readonly ids: Int32Tensor; readonly probs: Float32Tensor };
  /** [position], nats */
  readonly entropy: Float32Tensor;
}

/** An inspection as the panel's page gets it: its full patterns stay behind (25 MB a layer at 1,024 tokens). */
export function withoutPatterns(inspection: Inspection): Inspection {
  return { ...inspection, attention: { ...inspection.attention, patterns: inspection.attention.patterns.map(() => null) } };
}

/** Thumbnails have at most this many tiles a side: the overview draws them 26–64 CSS pixels wide. */
export const THUMBNAIL_MAX_TILES = 64;

/** Tiles a side of the thumbnails of `n` tokens: blocks of ⌈n / THUMBNAIL_MAX_TILES⌉ tokens. */
export function thumbnailTiles(n: number): number {
  return Math.ceil(n / Math.ceil(n / THUMBNAIL_MAX_TILES));
}

export function patternHookNames(nLayer: number): string[] {
  return Array.from({ length: nLayer }, (_, l) => `blocks.${l}.attn.hook_pattern`);
}
