// The logit lens inside the graph: at each residual point, ln_final then the unembedding, reduced to top-k,
// entropy, KL(final || lens) and a target's probability and rank. Full-vocabulary tensors never leave it.
//
// In two parts: the final point in the model's own graph (hooked-graph.ts), right after the forward, and every
// earlier point in a graph of its own (earlier-lens-graph.ts) fed the residual stream the forward returned. So
// the tokens' reading (the final point) is known after the forward alone, and the panel paints it while the
// earlier points run, at no extra cost: before, a plain forward ran first for it, a third of the inspection again.
//
// Memory: every point's rows go through a Loop in chunks of LENS_CHUNK_ROWS (the final point's first, then
// the earlier points' flattened), so only one chunk's [rows, vocab] distribution is alive at a time instead
// of one stacked tensor of every point (2.7 GB per tensor at 1,024 tokens).
// Time: the KL to the final layer needs no extra pass over the vocabulary per point, because
// Σ_v p_final[v] · x_l[v] = n_l · (p_final @ W_U) where x_l = n_l @ W_Uᵀ: one [rows, d] projection of the final
// distribution, then a d-long dot product per row.

import type { Gpt2Config } from '../models/gpt2-config';
import { DataType, type GraphBuilder } from './onnx-builder';

const F = DataType.FLOAT;
/**
 * Rows of [point·position] per lens GEMM. Big enough that packing the unembedding once per chunk is cheap
 * next to the multiply (one GEMM per point cost more than the multiply at 16 positions), small enough that
 * the chunk's full-vocabulary passes (log-softmax, exp, top-k) stay near the cache: 4,096-row chunks were
 * 4× slower than 256 at 512 positions.
 */
export const LENS_CHUNK_ROWS = 256;
const I = DataType.INT64;
const INT64_MAX = Number.MAX_SAFE_INTEGER;

export interface FinalLensSources {
  readonly config: Gpt2Config;
  /** blocks.{L-1}.hook_resid_post: [batch, seq, d]. */
  readonly residPost: string;
  /** [batch, seq]: the token after each position is the one whose probability and rank `next` reports. */
  readonly inputIds: string;
  readonly wte: string; // [vocab, d]
  readonly batch: string; // [1]
  readonly seq: string; // [1]
  readonly topK: string; // [1]
  readonly target: string; // [1], -1 = none
  readonly lnFinalWeights: readonly [string, string];
}

/** The final point: the model's own distribution at every position (rows = batch·seq). */
export interface FinalLensValues {
  readonly topIds: string; // int64 [rows, k]
  readonly topProbs: string; // [rows, k]
  readonly entropy: string; // [rows]
  readonly targetProb: string; // [rows]
  readonly targetRank: string; // int64 [rows]
  /** p_final @ W_U, [rows, d]: what the earlier points' KL to the final distribution needs of it. */
  readonly projected: string;
  /** The probability of the token that follows each position: [batch, seq - 1]. */
  readonly nextProb: string;
  /** Its rank there (0 = the top guess): int64 [batch, seq - 1]. */
  readonly nextRank: string;
}

export interface EarlierLensSources {
  readonly config: Gpt2Config;
  /** hook_resid_pre of every block, stacked: [layer, rows, d]. */
  readonly residPre: string;
  /** FinalLensValues' projected and entropy of the same rows. */
  readonly finalProjected: string;
  readonly finalEntropy: string;
  readonly wte: string;
  readonly topK: string;
  readonly target: string;
  readonly lnFinalWeights: readonly [string, string];
}

/** Every earlier point, [layer, rows, …]. */
export interface EarlierLensValues {
  readonly topIds: string; // int64 [layer, rows, k]
  readonly topProbs: string; // [layer, rows, k]
  readonly entropy: string; // [layer, rows]
  readonly kl: string; // [layer, rows], KL(final || lens) in nats
  readonly targetProb: string; // [layer, rows]
  readonly targetRank: string; // int64 [layer, rows]
}

/**
 * Runs `body` over `rows` ([n, d]) in chunks of LENS_CHUNK_ROWS rows (the last one padded with zero rows: Loop
 * scan outputs have one shape per iteration) and returns each scanned value back as [n, …]. `body` gets the
 * chunk's rows and their row indices; `types` gives each scanned value's element type, `ranks` its rank
 * per row beyond the first axis (0 for [chunk], 1 for [chunk, k]).
 */
function chunkedRows(
  b: GraphBuilder,
  name: string,
  rows: string,
  rowCount: string,
  scan: { readonly types: readonly DataType[]; readonly ranks: readonly number[] },
  body: (g: GraphBuilder, chunkRows: string, rowIndices: string) => readonly string[],
): string[] {
  const chunk = b.op('Min', [rowCount, b.ints([LENS_CHUNK_ROWS])]);
  const chunks = b.op('Div', [b.op('Sub', [b.op('Add', [rowCount, chunk]), b.ints([1])]), chunk]);
  const padding = b.op('Sub', [b.op('Mul', [chunks, chunk]), rowCount]);
  const padded = b.op('Pad', [rows, b.op('Concat', [b.ints([0, 0]), padding, b.ints([0])], { axis: 0 })]); // [chunks·chunk, d]

  const g = b.subgraph(name);
  const iteration = g.input(g.fresh('iteration'), I, []);
  const condition = g.input(g.fresh('condition'), DataType.BOOL, []);
  const first = g.op('Mul', [g.op('Unsqueeze', [iteration, g.ints([0])]), chunk]); // [1]
  const last = g.op('Add', [first, chunk]);
  const chunkRows = g.op('Slice', [padded, first, last, g.ints([0])]); // [chunk, d]
  const scalar = (x: string) => g.op('Squeeze', [x, g.ints([0])]);
  const rowIndices = g.op('Range', [scalar(first), scalar(last), g.scalarInt(1)]); // [chunk]
  const scanned = body(g, chunkRows, rowIndices);
  const outputs = [g.fresh('condition_out'), ...scanned.map(() => g.fresh('scan'))];
  g.output(g.identity(condition, outputs[0]), DataType.BOOL, []);
  scanned.forEach((v, i) => g.output(g.identity(v, outputs[i + 1]), scan.types[i], null));
  const loop = b.opN('Loop', [b.op('Squeeze', [chunks, b.ints([0])]), b.constant(DataType.BOOL, [], [true])], scanned.length, { body: g.graph() }, name); // each [chunks, chunk, …]
  // Back to [n, …]: drop the padding rows.
  return loop.map((v, i) => {
    const flat = scan.ranks[i] > 0 ? b.op('Flatten', [v], { axis: 2 }) : b.op('Reshape', [v, b.ints([-1])]); // [chunks·chunk(, …)]
    return b.op('Slice', [flat, b.ints([0]), rowCount, b.ints([0])]);
  });
}

function lnFinalOf(b: GraphBuilder, config: Gpt2Config, weights: readonly [string, string]): (x: string) => string {
  return (x) => b.op('LayerNormalization', [x, ...weights], { axis: -1, epsilon: { float: config.layerNormEpsilon } });
}

/**
 * The final point in chunks of positions: its distribution, p_final @ W_U for the KL of the others, and the
 * probability and rank of the token that actually follows. No [position, vocab] tensor of the whole text is
 * ever alive (0.2 GB each at 1,024 tokens). In the model's own graph, right after the forward: it is the
 * tokens' reading the panel paints first.
 */
export function finalLens(b: GraphBuilder, s: FinalLensSources): FinalLensValues {
  const { nEmbd: d } = s.config;
  const rowsPerPoint = b.op('Mul', [s.batch, s.seq]); // [1]
  const nextIds = b.op('Reshape', [b.op('Concat', [b.op('Slice', [s.inputIds, b.ints([1]), b.ints([INT64_MAX]), b.ints([1])]), b.op('Slice', [s.inputIds, b.ints([0]), b.ints([1]), b.ints([1])])], { axis: 1 }), b.ints([-1, 1])]); // [rows, 1]: the last position's is a stand-in, dropped below
  const finalRows = b.op('Reshape', [lnFinalOf(b, s.config, s.lnFinalWeights)(s.residPost), b.ints([-1, d])]);
  const [topIds, topProbs, entropy, targetProb, targetRank, projected, nextProb, nextRank] = chunkedRows(
    b,
    'final_chunk',
    finalRows,
    rowsPerPoint,
    // topIds, topProbs, entropy, targetProb, targetRank, projected, nextProb, nextRank
    { types: [I, F, F, F, I, F, F, I], ranks: [1, 1, 0, 0, 0, 1, 0, 0] },
    (g, rows, rowIndices) => {
      const final = reduceDistribution(g, g.op('Gemm', [rows, s.wte], { transB: 1 }), s.topK, s.target);
      const next = g.op('Gather', [nextIds, g.op('Min', [rowIndices, g.op('Sub', [rowsPerPoint, g.ints([1])])])], { axis: 0 }); // [chunk, 1]; padding rows read the last row's
      const nextLogProb = g.op('GatherElements', [final.logProbs, next], { axis: 1 }); // [chunk, 1]
      return [final.topIds, final.topProbs, final.entropy, final.targetProb, final.targetRank, g.op('MatMul', [final.probs, s.wte]), g.op('Exp', [g.op('Squeeze', [nextLogProb, g.ints([1])])]), rankOf(g, final.logProbs, nextLogProb, 1)];
    },
  );
  // [batch, seq - 1]: the last position has no next token.
  const bySeq = b.op('Concat', [s.batch, s.seq], { axis: 0 });
  const beforeLast = (x: string) => b.op('Slice', [b.op('Reshape', [x, bySeq]), b.ints([0]), b.ints([-1]), b.ints([1])]);
  return { topIds, topProbs, entropy, targetProb, targetRank, projected, nextProb: beforeLast(nextProb), nextRank: beforeLast(nextRank) };
}

/**
 * Every earlier point (hook_resid_pre of each block), its rows normalised and flattened point-major, in chunks:
 * top-k, entropy, target, and the KL to the final distribution from the final point's projection.
 */
export function earlierLens(b: GraphBuilder, s: EarlierLensSources): EarlierLensValues {
  const { nLayer, nEmbd: d } = s.config;
  const rowsPerPoint = b.op('Shape', [s.residPre], { start: 1, end: 2 }); // [1]
  const earlierRows = b.op('Reshape', [lnFinalOf(b, s.config, s.lnFinalWeights)(s.residPre), b.ints([-1, d])]);
  // topIds, topProbs, entropy, kl, targetProb, targetRank
  const earlierScan = { types: [I, F, F, F, F, I], ranks: [1, 1, 0, 0, 0, 0] };
  const flat = chunkedRows(b, 'lens_chunk', earlierRows, b.op('Mul', [rowsPerPoint, b.ints([nLayer])]), earlierScan, (g, rows, rowIndices) => {
    const logits = g.op('Gemm', [rows, s.wte], { transB: 1 }); // [chunk, vocab]
    const point = reduceDistribution(g, logits, s.topK, s.target);
    const firstColumn = (x: string) => g.op('Squeeze', [g.op('Slice', [x, g.ints([0]), g.ints([1]), g.ints([1])]), g.ints([1])]);
    const logPartition = g.op('Sub', [firstColumn(logits), firstColumn(point.logProbs)]); // [chunk]: log Σ exp(x_l)
    // Row r of the flattened points is position r mod rows.
    const positions = g.op('Mod', [rowIndices, rowsPerPoint]); // [chunk]
    const finalDotLens = g.op('ReduceSum', [g.op('Mul', [rows, g.op('Gather', [s.finalProjected, positions], { axis: 0 })]), g.ints([1])], { keepdims: 0 }); // [chunk]: Σ p_final · x_l
    // KL(final || lens) = Σ p_f log p_f − Σ p_f (x_l − log Z_l) = −H_final − Σ p_f·x_l + log Z_l
    const kl = g.op('Sub', [g.op('Sub', [logPartition, finalDotLens]), g.op('Gather', [s.finalEntropy, positions], { axis: 0 })]);
    return [point.topIds, point.topProbs, point.entropy, kl, point.targetProb, point.targetRank];
  });
  // [layer, rows, …]
  const [topIds, topProbs, entropy, kl, targetProb, targetRank] = flat.map((v, i) => b.op('Reshape', [v, b.op('Concat', [b.ints([nLayer]), rowsPerPoint, ...(i < 2 ? [b.ints([-1])] : [])], { axis: 0 })]));
  return { topIds, topProbs, entropy, kl, targetProb, targetRank };
}

interface Reductions {
  readonly logProbs: string; // [rows, vocab]
  readonly probs: string; // [rows, vocab]
  readonly topIds: string; // int64 [rows, k]
  readonly topProbs: string; // [rows, k]
  readonly entropy: string; // [rows]
  readonly targetProb: string; // [rows]
  readonly targetRank: string; // int64 [rows]; 0 when there is no target
}

/** Everything the lens reports about one [rows, vocab] block of logits. */
function reduceDistribution(b: GraphBuilder, logits: string, topK: string, target: string): Reductions {
  const logProbs = b.op('LogSoftmax', [logits], { axis: 1 });
  const probs = b.op('Exp', [logProbs]);
  const [topLogProbs, topIds] = b.opN('TopK', [logProbs, topK], 2, { axis: 1, largest: 1, sorted: 1 });
  const entropy = b.op('Neg', [b.op('ReduceSum', [b.op('Mul', [probs, logProbs]), b.ints([1])], { keepdims: 0 })]);
  // A negative target means none: gather id 0 for the probability, and skip the rank's vocabulary pass.
  const targetLogProb = b.op('Gather', [logProbs, b.op('Max', [target, b.ints([0])])], { axis: 1 }); // [rows, 1]
  const hasTarget = b.op('Squeeze', [b.op('GreaterOrEqual', [target, b.ints([0])]), b.ints([0])]);
  const ranked = b.subgraph('target_rank');
  ranked.output(ranked.identity(rankOf(ranked, logProbs, targetLogProb, 1), ranked.fresh('rank')), I, null);
  const unranked = b.subgraph('no_target');
  const rows = unranked.op('Shape', [targetLogProb], { start: 0, end: 1 });
  unranked.output(unranked.identity(unranked.op('Cast', [unranked.op('ConstantOfShape', [rows])], { to: I }), unranked.fresh('rank')), I, null);
  const targetRank = b.op('If', [hasTarget], { then_branch: ranked.graph(), else_branch: unranked.graph() }, 'target_rank');
  return {
    logProbs,
    probs,
    topIds,
    topProbs: b.op('Exp', [topLogProbs]),
    entropy,
    targetProb: b.op('Squeeze', [b.op('Exp', [targetLogProb]), b.ints([1])]),
    targetRank,
  };
}

/** How many vocabulary entries score strictly higher than `reference` along `axis` (0 = top-1). */
export function rankOf(b: GraphBuilder, logProbs: string, reference: string, axis: number): string {
  // Counted in int32 (a vocabulary fits), not int64: at 1,024 positions the [position, vocab] indicator is
  // 0.2 GB instead of 0.4 GB.
  const above = b.op('Cast', [b.op('Greater', [logProbs, reference])], { to: DataType.INT32 });
  return b.op('Cast', [b.op('ReduceSum', [above, b.ints([axis])], { keepdims: 0 })], { to: I });
}
