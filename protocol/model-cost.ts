// What a GPT-2 computes, in floating-point operations (two per multiply-add), from its shape alone: the bench
// turns it into an arithmetic floor (engine/bench/bench-gemm.ts), the host into deadlines that grow with the model
// (extension/model-client.ts).

import type { ModelSummary } from './inspection';

export type ModelShape = Pick<ModelSummary, 'nLayer' | 'nEmbd' | 'vocabSize'>;

/** GPT-2 small, the model the deadlines and targets were set on. */
export const GPT2_SMALL_SHAPE: ModelShape = { nLayer: 12, nEmbd: 768, vocabSize: 50257 };

/** The weight matrices of `n` positions through every block (q, k, v, out, two MLP): 12·d² a layer. */
const blockFlops = (c: ModelShape, n: number) => 2 * n * c.nLayer * 12 * c.nEmbd * c.nEmbd;
/** Scores and weighted sums of causal attention over `n` positions, every layer: two n²/2 × d products. */
const attentionFlops = (c: ModelShape, n: number) => 2 * c.nLayer * n * n * c.nEmbd;
export const unembedFlops = (c: ModelShape, rows: number) => 2 * rows * c.nEmbd * c.vocabSize;

/**
 * What a hooked inspection costs a token, beside attention: its blocks, the lens at every residual point
 * (nLayer + 1 unembeddings) and the final distribution projected back through the unembedding for the KL
 * (engine/graph/lens-graph.ts).
 */
export function inspectionFlopsPerToken(c: ModelShape): number {
  return blockFlops(c, 1) + unembedFlops(c, c.nLayer + 2);
}

/** A hooked inspection of `n` tokens. */
export function inspectionFlops(c: ModelShape, n: number): number {
  return n * inspectionFlopsPerToken(c) + attentionFlops(c, n);
}

/** A completion's cold first token: the prompt's forward and one position's logits. */
export function prefillFlops(c: ModelShape, n: number): number {
  return blockFlops(c, n) + attentionFlops(c, n) + unembedFlops(c, 1);
}
