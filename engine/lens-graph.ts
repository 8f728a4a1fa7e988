// The logit lens inside the graph: at each residual point, ln_final then the unembedding, reduced to top-k,
// entropy, KL(final || lens) and a target's probability and rank. Full-vocabulary tensors never leave it.
//
// Memory: the earlier points' rows go through a Loop in chunks of LENS_CHUNK_ROWS, so only one chunk's
// [rows, vocab] distribution is alive at a time instead of one stacked tensor of every point (2.7 GB per
// tensor at 1,024 tokens).
// Time: the KL to the final layer needs no extra pass over the vocabulary per point, because
// Σ_v p_final[v] · x_l[v] = n_l · (p_final @ W_U) where x_l = n_l @ W_Uᵀ: one [rows, d] projection of the final
// distribution, then a d-long dot product per row.

import type { Gpt2Config } from './gpt2-config';
import { DataType, type GraphBuilder } from './onnx-builder';

const F = DataType.FLOAT;
/**
 * Rows of [point·position] per lens GEMM. Big enough that packing the unembedding once per chunk is cheap
 * next to the multiply (one GEMM per point cost more than the multiply at 16 positions), small enough that
 * the chunk's full-vocabulary passes (log-softmax, exp, top-k) stay near the cache: 4,096-row chunks were
 * 4× slower than 256 at 512 positions.
 */
const LENS_CHUNK_ROWS = 256;
const I = DataType.INT64;

export interface LensSources {
  readonly config: Gpt2Config;
  /** hook_resid_pre of every block, then hook_resid_post of the last: each [batch, seq, d]. */
  readonly residPoints: readonly string[];
  /** The model's logits at every position, [batch, seq, vocab]: the lens at the last point. */
  readonly logits: string;
  readonly wte: string; // [vocab, d]
  readonly batch: string; // [1]
  readonly seq: string; // [1]
  readonly topK: string; // [1]
  readonly target: string; // [1], -1 = none
  readonly lnFinalWeights: readonly [string, string];
}

export interface LensValues {
  readonly topIds: string; // int64 [point, batch, seq, k]
  readonly topProbs: string; // [point, batch, seq, k]
  readonly entropy: string; // [point, batch, seq]
  readonly kl: string; // [point, batch, seq]
  readonly targetProb: string; // [point, batch, seq]
  readonly targetRank: string; // int64 [point, batch, seq]
  /** The final distribution's log-probabilities, [batch·seq, vocab]. */
  readonly finalLogProbs: string;
}

export function logitLens(b: GraphBuilder, s: LensSources): LensValues {
  const { nLayer, nEmbd: d, vocabSize } = s.config;
  const final = reduceDistribution(b, b.op('Reshape', [s.logits, b.ints([-1, vocabSize])]), s.topK, s.target);
  const finalProjected = b.op('MatMul', [final.probs, s.wte]); // [rows, d] = p_final @ W_U

  // Every earlier point's rows, normalised, flattened point-major: [layer·batch·seq, d], padded with zero rows
  // to a whole number of chunks (Loop scan outputs must have one shape per iteration).
  const stacked = b.op('Concat', s.residPoints.slice(0, nLayer).map((r) => b.op('Unsqueeze', [r, b.ints([0])])), { axis: 0 }); // [layer, batch, seq, d]
  const normalized = b.op('Reshape', [b.op('LayerNormalization', [stacked, ...s.lnFinalWeights], { axis: -1, epsilon: { float: s.config.layerNormEpsilon } }), b.ints([-1, d])]);
  const rowsPerPoint = b.op('Mul', [s.batch, s.seq]); // [1]
  const rowCount = b.op('Mul', [rowsPerPoint, b.ints([nLayer])]);
  const chunk = b.op('Min', [rowCount, b.ints([LENS_CHUNK_ROWS])]);
  const chunks = b.op('Div', [b.op('Sub', [b.op('Add', [rowCount, chunk]), b.ints([1])]), chunk]);
  const padding = b.op('Sub', [b.op('Mul', [chunks, chunk]), rowCount]);
  const padded = b.op('Pad', [normalized, b.op('Concat', [b.ints([0, 0]), padding, b.ints([0])], { axis: 0 })]); // [chunks·chunk, d]

  const body = b.subgraph('lens_chunk');
  const iteration = body.input(body.fresh('iteration'), I, []);
  const condition = body.input(body.fresh('condition'), DataType.BOOL, []);
  const first = body.op('Mul', [body.op('Unsqueeze', [iteration, body.ints([0])]), chunk]); // [1]
  const rows = body.op('Slice', [padded, first, body.op('Add', [first, chunk]), body.ints([0])]); // [chunk, d]
  const logits = body.op('Gemm', [rows, s.wte], { transB: 1 }); // [chunk, vocab]
  const point = reduceDistribution(body, logits, s.topK, s.target);
  const firstColumn = (x: string) => body.op('Squeeze', [body.op('Slice', [x, body.ints([0]), body.ints([1]), body.ints([1])]), body.ints([1])]);
  const logPartition = body.op('Sub', [firstColumn(logits), firstColumn(point.logProbs)]); // [chunk]: log Σ exp(x_l)
  // Row r of the flattened points is position r mod (batch·seq).
  const scalar = (x: string) => body.op('Squeeze', [x, body.ints([0])]);
  const positions = body.op('Mod', [body.op('Range', [scalar(first), scalar(body.op('Add', [first, chunk])), body.scalarInt(1)]), rowsPerPoint]); // [chunk]
  const finalDotLens = body.op('ReduceSum', [body.op('Mul', [rows, body.op('Gather', [finalProjected, positions], { axis: 0 })]), body.ints([1])], { keepdims: 0 }); // [chunk]: Σ p_final · x_l
  // KL(final || lens) = Σ p_f log p_f − Σ p_f (x_l − log Z_l) = −H_final − Σ p_f·x_l + log Z_l
  const kl = body.op('Sub', [body.op('Sub', [logPartition, finalDotLens]), body.op('Gather', [final.entropy, positions], { axis: 0 })]);
  const scanned = [point.topIds, point.topProbs, point.entropy, kl, point.targetProb, point.targetRank];
  const bodyOutputs = [body.fresh('condition_out'), ...scanned.map(() => body.fresh('scan'))];
  body.output(body.identity(condition, bodyOutputs[0]), DataType.BOOL, []);
  scanned.forEach((v, i) => body.output(body.identity(v, bodyOutputs[i + 1]), [I, F, F, F, F, I][i], null));
  const chunkCount = b.op('Squeeze', [chunks, b.ints([0])]);
  const loop = b.opN('Loop', [chunkCount, b.constant(DataType.BOOL, [], [true])], scanned.length, { body: body.graph() }, 'lens_loop'); // each [chunks, chunk, …]
  // Back to [layer, rows, …]: drop the padding rows.
  const earlier = loop.map((v, i) => {
    const flat = i < 2 ? b.op('Flatten', [v], { axis: 2 }) : b.op('Reshape', [v, b.ints([-1])]); // [chunks·chunk(, k)]
    const kept = b.op('Slice', [flat, b.ints([0]), rowCount, b.ints([0])]);
    return b.op('Reshape', [kept, b.op('Concat', [b.ints([nLayer]), rowsPerPoint, ...(i < 2 ? [b.ints([-1])] : [])], { axis: 0 })]);
  });

  const byPoint = b.op('Concat', [b.ints([nLayer + 1]), s.batch, s.seq], { axis: 0 });
  const withK = b.op('Concat', [byPoint, b.ints([-1])], { axis: 0 });
  const zeros = b.op('Sub', [final.entropy, final.entropy]); // the final point's KL to itself
  const finalValues = [final.topIds, final.topProbs, final.entropy, zeros, final.targetProb, final.targetRank];
  const all = earlier.map((values, i) => b.op('Concat', [values, b.op('Unsqueeze', [finalValues[i], b.ints([0])])], { axis: 0 })); // [point, rows, …]
  return {
    topIds: b.op('Reshape', [all[0], withK]),
    topProbs: b.op('Reshape', [all[1], withK]),
    entropy: b.op('Reshape', [all[2], byPoint]),
    kl: b.op('Reshape', [all[3], byPoint]),
    targetProb: b.op('Reshape', [all[4], byPoint]),
    targetRank: b.op('Reshape', [all[5], byPoint]),
    finalLogProbs: final.logProbs,
  };
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
