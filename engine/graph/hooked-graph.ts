// GPT-2 as one ONNX graph with TransformerLens-named hook outputs beside `logits` and `present.*`.
//
// transformers.js loads it as an ordinary causal LM (same inputs and KV-cache outputs as a Hub export), so
// generate() works unchanged. The hooks sit behind an `If` on the input `glassbox.hooks`: an
// onnxruntime session runs every node of its graph whatever you fetch, but only the taken branch of an If,
// so generation (which never sets the flag) does not pay for the full-vocabulary lens.
//
// Weights are not copied into the graph: every initializer points into model.safetensors as ONNX external
// data, so one file on disk serves both, and models over protobuf's 2 GB limit load the same way.

import { encodeModel, DataType, GraphBuilder } from './onnx-builder';
import { finalLens } from './lens-graph';
import { attentionScale, type Gpt2Config } from '../models/gpt2-config';
import { atPosition, intervene, INTERVENTION_OUTPUTS, interventionInputs, type InterventionContext, type InterventionSite } from './intervention-graph';
import type { Gpt2Weights } from '../models/gpt2-weights';
import { residHookNames } from '../../protocol/inspection';

export const OPSET = 21;
export const HOOKS_INPUT = 'glassbox.hooks';
export const TOP_K_INPUT = 'glassbox.lens_top_k';
export const TARGET_INPUT = 'glassbox.lens_target';
/**
 * True when every position's output is wanted: hooks on, or an inspection's queries kept. False lets the last
 * block run only the positions whose logits are kept (`lastOnly` below).
 */
export const EVERY_POSITION_INPUT = 'glassbox.every_position';

/**
 * Keys and values of just the positions a run was given, [batch, head, position, head_dim] like `present.*`.
 * Outside the hooks' If, in both graphs: the engine appends them to a cache it keeps, instead of fetching
 * `present.*`, which onnxruntime-node would copy whole into new JS buffers on every step (at 900 tokens of
 * context, half of a decoding step). The queries, in the same layout, are what an inspection keeps to
 * rebuild any layer's attention pattern (pattern-graph.ts), already multiplied by the layer's attention scale; like the others they are the Transposes the
 * attention already makes, so a run that does not fetch them pays nothing. The last layer's queries cover
 * every position only with EVERY_POSITION_INPUT set; otherwise just the positions whose logits are kept.
 */
export const NEW_KV_OUTPUTS = {
  key: (layer: number) => `new.${layer}.key`,
  value: (layer: number) => `new.${layer}.value`,
  query: (layer: number) => `new.${layer}.query`,
} as const;

/**
 * The final lens point and the next-token reductions, in the graph (lens-graph.ts finalLens); the earlier
 * points come from the earlier-lens graph, fed the residual points this graph returns beside them.
 */
export const FINAL_LENS_OUTPUTS = {
  topIds: 'final_lens.top_ids', // int64 [rows, k]
  topProbs: 'final_lens.top_probs', // [rows, k]
  entropy: 'final_lens.entropy', // [rows]
  targetProb: 'final_lens.target_prob', // [rows]
  targetRank: 'final_lens.target_rank', // int64 [rows]
  projected: 'final_lens.projected', // [rows, d]
  nextProb: 'next.prob', // [batch, position - 1]
  nextRank: 'next.rank', // int64 [batch, position - 1]
} as const;

const F = DataType.FLOAT;
const I = DataType.INT64;
// Masked scores: exp(-1e9 - max) is exactly 0 in float32, and a finite value keeps fully masked rows NaN-free.
export const MASKED_SCORE = -1e9;

/**
 * A graph's view of the weights: `weight(name)` declares the tensor once, as external data at its place in
 * `weightsFile` (the safetensors beside the graph), and returns its name.
 */
export function externalWeights(g: GraphBuilder, weights: Gpt2Weights, weightsFile: string): (name: string) => string {
  const declared = new Set<string>();
  return (name) => {
    const entry = weights.get(name);
    if (!entry) throw new Error(`weight ${name} was not located`);
    if (!declared.has(name)) {
      declared.add(name);
      g.external({ name, type: F, dims: entry.shape, location: weightsFile, offset: entry.offset, length: entry.byteLength });
    }
    return name;
  };
}

/**
 * `withHooks: false` builds the same GPT-2 without the hook inputs and outputs: the baseline the benchmark
 * holds generation speed against.
 */
export function buildHookedGpt2(config: Gpt2Config, weights: Gpt2Weights, weightsFile: string, withHooks = true, interventions = false): Uint8Array {
  const { nLayer, nHead, nEmbd: d } = config;
  const headDim = d / nHead;
  const g = new GraphBuilder('glassbox_hooked_gpt2');

  const weight = externalWeights(g, weights, weightsFile);

  // With interventions the batch may grow from layer to layer (runs join it, intervention-graph.ts) and the
  // mask and positions may be one row for all: onnxruntime plans buffers as if dims of one name were equal
  // ("Shape mismatch attempting to re-use buffer" otherwise), so each gets a name of its own.
  const batchDim = (what: string): string => (interventions ? `${what}_batch` : 'batch_size');
  // Inputs as in the Hub's GPT-2 exports, so transformers.js feeds them; ours are optional.
  const inputIds = g.input('input_ids', I, [batchDim('input_ids'), 'sequence_length']);
  const attentionMask = g.input('attention_mask', I, [batchDim('attention_mask'), 'total_sequence_length']);
  const positionIds = g.input('position_ids', I, [batchDim('position_ids'), 'sequence_length']);
  const past = Array.from({ length: nLayer }, (_, l) => ({
    key: g.input(`past_key_values.${l}.key`, F, [batchDim(`layer_${l}`), nHead, 'past_sequence_length', headDim]),
    value: g.input(`past_key_values.${l}.value`, F, [batchDim(`layer_${l}`), nHead, 'past_sequence_length', headDim]),
  }));
  const numLogitsToKeep = g.input('num_logits_to_keep', I, []);
  // onnxruntime-node feeds only the inputs it lists, and it does not list overridable initializers, so the
  // hook controls are required inputs.
  const hooksOn = withHooks ? g.input(HOOKS_INPUT, DataType.BOOL, []) : null;
  const everyPosition = withHooks ? g.input(EVERY_POSITION_INPUT, DataType.BOOL, []) : null;
  const ctx = interventions ? interventionInputs(g, nHead, d) : null;
  /** A site's activation after its intervention (the identity in the graphs without them). */
  const hook = (x: string, site: InterventionSite, layer: number): string => (ctx ? intervene(g, x, ctx, site, layer) : x);

  const wte = weight('wte.weight'); // [vocab, d]
  const layerNorm = (x: string, prefix: string): string =>
    g.op('LayerNormalization', [x, weight(`${prefix}.weight`), weight(`${prefix}.bias`)], { axis: -1, epsilon: { float: config.layerNormEpsilon } }, 'ln');
  const linear = (x: string, prefix: string): string => g.op('Add', [g.op('MatMul', [x, weight(`${prefix}.weight`)]), weight(`${prefix}.bias`)], {}, 'linear');

  const batch = g.op('Shape', [inputIds], { start: 0, end: 1 }, 'batch'); // [1]
  const seq = g.op('Shape', [inputIds], { start: 1, end: 2 }, 'seq'); // [1]
  const total = g.op('Shape', [attentionMask], { start: 1, end: 2 }, 'total'); // [1]
  const pastLen = g.op('Sub', [total, seq], {}, 'past_len'); // [1]

  // Causal mask with a KV cache: query i sits at absolute position past + i and sees keys 0 … past + i.
  const scalar = (v: string): string => g.op('Squeeze', [v, g.ints([0])]);
  const queryPos = g.op('Unsqueeze', [g.op('Range', [scalar(pastLen), scalar(total), g.scalarInt(1)]), g.ints([1])]); // [seq, 1]
  const keyPos = g.op('Unsqueeze', [g.op('Range', [g.scalarInt(0), scalar(total), g.scalarInt(1)]), g.ints([0])]); // [1, total]
  const causal = g.op('LessOrEqual', [keyPos, queryPos], {}, 'causal'); // [seq, total]
  const notPadding = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: DataType.BOOL }), g.ints([1, 2])]); // [batch, 1, 1, total]
  const mask = g.op('And', [causal, notPadding], {}, 'mask'); // [batch, 1, seq, total]
  const maskedScore = g.scalarFloat(MASKED_SCORE);
  const headShape = g.ints([0, 0, nHead, headDim]);
  const modelShape = g.ints([0, 0, d]);
  const toHeads = (x: string, name?: string): string => {
    const split = g.op('Reshape', [x, headShape]); // [batch, seq, head, head_dim]
    const perm = { perm: [0, 2, 1, 3] };
    return name ? g.opN('Transpose', [split], [name], perm)[0] : g.op('Transpose', [split], perm); // [batch, head, seq, head_dim]
  };

  // Logits for the last `num_logits_to_keep` positions (0 = all, negative = none): generation asks for 1 and
  // skips the [prompt, vocab] head GEMM over the prompt; an inspection asks for none, since the lens computes
  // the final distribution itself, chunk by chunk (the one row's GEMM is memory-bound: ~18 ms for GPT-2 small).
  const keepRaw = g.op('Reshape', [numLogitsToKeep, g.ints([1])]);
  const none = g.ints([0]);
  const keep = g.op('Where', [g.op('Equal', [keepRaw, none]), seq, g.op('Max', [g.op('Min', [keepRaw, seq]), none])]); // [1]
  // The last block's attention output and MLP feed nothing but the logits (its keys and values come from
  // before them), so unless every position is wanted only the kept positions run them: 10/12 of a block's
  // multiplies for the rest of a prompt, ~7% of GPT-2 small's prefill.
  // With interventions every position runs: a site's mean and a patch at any position need all of them.
  const lastRows = ctx ? seq : everyPosition ? g.op('Where', [everyPosition, seq, keep]) : keep; // [1]
  const lastOnly = (x: string, axis: number): string => g.op('Slice', [x, g.op('Sub', [seq, lastRows]), seq, g.ints([axis])]);

  const tokenEmbed = g.op('Gather', [wte, inputIds], {}, 'hook_embed'); // [batch, seq, d]
  const positionEmbed = g.op('Gather', [weight('wpe.weight'), positionIds], {}, 'hook_pos_embed'); // [batch, seq, d]
  let resid = g.op('Add', [tokenEmbed, positionEmbed], {}, 'embed'); // [batch, seq, d]
  const residPoints: string[] = [];
  const sites: { layer: number; zHeads: string; attnOut: string; post: string; mlpOut: string }[] = [];
  for (let l = 0; l < nLayer; l++) {
    const h = `h.${l}`;
    if (ctx) resid = g.op('Concat', [resid, ctx.join(l)], { axis: 0 }, `joined_${l}`); // [batch at l, seq, d]
    resid = hook(resid, 'hook_resid_pre', l);
    residPoints.push(resid);
    const qkv = linear(layerNorm(resid, `${h}.ln_1`), `${h}.attn.c_attn`); // [batch, seq, 3d]
    const [qAll, k, v] = g.opN('Split', [qkv, g.ints([d, d, d])], 3, { axis: 2 });
    const last = l === nLayer - 1;
    const q = last ? lastOnly(qAll, 1) : qAll; // [batch, rows, d]
    if (last) resid = lastOnly(resid, 1);
    const key = g.opN('Concat', [past[l].key, toHeads(k, NEW_KV_OUTPUTS.key(l))], [`present.${l}.key`], { axis: 2 })[0]; // [batch, head, total, head_dim]
    const value = g.opN('Concat', [past[l].value, toHeads(v, NEW_KV_OUTPUTS.value(l))], [`present.${l}.value`], { axis: 2 })[0];
    // The queries are scaled before the product (fewer multiplies than scaling the scores), and returned
    // scaled, so the pattern graph rebuilds any layer's pattern without knowing its scale.
    const query = g.opN('Mul', [toHeads(q), g.scalarFloat(attentionScale(config, l))], [NEW_KV_OUTPUTS.query(l)])[0]; // [batch, head, rows, head_dim]
    const scores = g.op('MatMul', [query, g.op('Transpose', [key], { perm: [0, 1, 3, 2] })], {}, 'scores'); // [batch, head, seq, total]
    // blocks.{l}.attn.hook_pattern stays a transient of its layer: the engine rebuilds it from the queries
    // and keys when asked (pattern-graph.ts). As outputs, the packed patterns of all layers were 0.6 GB of an
    // inspection's peak at 1,024 tokens (onnxruntime's buffers and the JS copy).
    const pattern = g.op('Softmax', [g.op('Where', [last ? lastOnly(mask, 2) : mask, scores, maskedScore])], { axis: -1 }, `pattern_${l}`); // [batch, head, rows, total]
    const zHeads = hook(g.op('Transpose', [g.op('MatMul', [pattern, value])], { perm: [0, 2, 1, 3] }), 'attn.hook_z', l); // [batch, seq, head, head_dim]
    const attnOut = hook(linear(g.op('Reshape', [zHeads, modelShape]), `${h}.attn.c_proj`), 'hook_attn_out', l); // [batch, seq, d]
    resid = g.op('Add', [resid, attnOut], {}, 'resid_mid');
    const post = hook(g.op('Gelu', [linear(layerNorm(resid, `${h}.ln_2`), `${h}.mlp.c_fc`)], { approximate: 'tanh' }), 'mlp.hook_post', l); // [batch, seq, 4d]
    const mlpOut = hook(linear(post, `${h}.mlp.c_proj`), 'hook_mlp_out', l); // [batch, seq, d]
    resid = g.op('Add', [resid, mlpOut], {}, 'resid_post');
    sites.push({ layer: l, zHeads, attnOut, post, mlpOut });
  }
  residPoints.push(resid);

  const lnFinal = (x: string): string => layerNorm(x, 'ln_f');
  const kept = g.op('Slice', [lnFinal(resid), g.op('Sub', [lastRows, keep]), lastRows, g.ints([1])]); // [batch, keep, d]
  const unembed = (x: string): string => g.op('Gemm', [g.op('Reshape', [x, g.ints([-1, d])]), wte], { transB: 1 }, 'unembed'); // [rows, vocab]
  // The batch as it ends: runs may have joined it on the way (intervention-graph.ts).
  const finalBatch = ctx ? g.op('Shape', [resid], { start: 0, end: 1 }) : batch;
  const logitsShape = g.op('Concat', [finalBatch, keep, g.ints([config.vocabSize])], { axis: 0 });
  g.opN('Reshape', [unembed(kept), logitsShape], ['logits'], { allowzero: 1 }); // keep may be 0: a 0 is a size here, not a copy
  g.output('logits', F, [batchDim('final'), 'sequence_length', config.vocabSize]);
  for (let l = 0; l < nLayer; l++) {
    g.output(`present.${l}.key`, F, [batchDim(`layer_${l}`), nHead, 'total_sequence_length', headDim]);
    g.output(`present.${l}.value`, F, [batchDim(`layer_${l}`), nHead, 'total_sequence_length', headDim]);
  }
  for (let l = 0; l < nLayer; l++) {
    for (const name of [NEW_KV_OUTPUTS.key(l), NEW_KV_OUTPUTS.value(l), NEW_KV_OUTPUTS.query(l)]) g.output(name, F, [batchDim(`layer_${l}`), nHead, 'sequence_length', headDim]);
  }

  if (ctx) {
    interventionOutputs(g, ctx, config, { tokenEmbed, positionEmbed, residPoints, sites, residPost: resid, lnFinal, wte, weight });
  }

  if (hooksOn) {
    const topK = g.input(TOP_K_INPUT, I, [1]);
    const target = g.input(TARGET_INPUT, I, [1]); // -1 = no target
    lensOutputs(g, hooksOn, config, { residPoints, wte, inputIds, batch, seq, topK, target, lnFinalWeights: [weight('ln_f.weight'), weight('ln_f.bias')] });
  }

  return encodeModel(g.graph(), OPSET, 'glassbox');
}

interface HookSources {
  readonly residPoints: readonly string[]; // each [batch, seq, d]
  readonly wte: string;
  readonly inputIds: string;
  readonly batch: string;
  readonly seq: string;
  readonly topK: string;
  readonly target: string;
  readonly lnFinalWeights: readonly [string, string];
}

interface HookOutput {
  readonly name: string;
  readonly type: DataType;
  readonly rank: number;
}

/**
 * Outputs computed only when `hooksOn`: an If whose then branch builds them from outer-scope values and whose
 * else branch gives empty tensors of the same types. onnxruntime runs only the taken branch.
 */
function gatedOutputs(g: GraphBuilder, hooksOn: string, outputs: readonly HookOutput[], build: (b: GraphBuilder) => readonly string[], hint: string): void {
  const branch = (b: GraphBuilder, values: readonly string[]) => {
    values.forEach((value, i) => {
      const name = `${b.name}/${outputs[i].name}`;
      b.identity(value, name);
      b.output(name, outputs[i].type, null);
    });
    return b.graph();
  };
  const on = g.subgraph(`${hint}_on`);
  const off = g.subgraph(`${hint}_off`);
  const empty = outputs.map((o) => off.op('Identity', [off.constant(o.type === I ? I : F, new Array<number>(o.rank).fill(0), [])]));
  g.opN('If', [hooksOn], outputs.map((o) => o.name), { then_branch: branch(on, build(on)), else_branch: branch(off, empty) }, hint);
  for (const o of outputs) g.output(o.name, o.type, null);
}

/** The residual points, the final lens point and the next-token reductions, in one gated If at the end of the graph. */
function lensOutputs(g: GraphBuilder, hooksOn: string, config: Gpt2Config, s: HookSources): void {
  const o = FINAL_LENS_OUTPUTS;
  const outputs: HookOutput[] = [
    ...residHookNames(config.nLayer).map((name) => ({ name, type: F, rank: 3 })),
    { name: o.topIds, type: I, rank: 2 },
    { name: o.topProbs, type: F, rank: 2 },
    { name: o.entropy, type: F, rank: 1 },
    { name: o.targetProb, type: F, rank: 1 },
    { name: o.targetRank, type: I, rank: 1 },
    { name: o.projected, type: F, rank: 2 },
    { name: o.nextProb, type: F, rank: 2 },
    { name: o.nextRank, type: I, rank: 2 },
  ];
  gatedOutputs(
    g,
    hooksOn,
    outputs,
    (t) => {
      const f = finalLens(t, { ...s, config, residPost: s.residPoints[config.nLayer] });
      return [...s.residPoints, f.topIds, f.topProbs, f.entropy, f.targetProb, f.targetRank, f.projected, f.nextProb, f.nextRank];
    },
    'hooks',
  );
}

interface InterventionSources {
  readonly tokenEmbed: string; // [batch, seq, d]
  readonly positionEmbed: string;
  readonly residPoints: readonly string[]; // hook_resid_pre of each layer, after its intervention
  readonly sites: readonly { layer: number; zHeads: string; attnOut: string; post: string; mlpOut: string }[];
  readonly residPost: string; // blocks.{L-1}.hook_resid_post
  readonly lnFinal: (x: string) => string;
  readonly wte: string;
  readonly weight: (name: string) => string;
}

/** The variant's extra outputs (intervention-graph.ts): components at P and every site's full activation. */
function interventionOutputs(g: GraphBuilder, ctx: InterventionContext, config: Gpt2Config, s: InterventionSources): void {
  const { nHead, nEmbd: d, nLayer } = config;
  const out = (value: string, name: string, dims: number): void => {
    g.identity(value, name);
    g.output(name, F, Array.from({ length: dims }, (_, i) => `${name}_${i}`));
  };
  const at = (x: string) => atPosition(g, x, ctx);
  out(at(s.tokenEmbed), INTERVENTION_OUTPUTS.at('hook_embed'), 2);
  out(at(s.positionEmbed), INTERVENTION_OUTPUTS.at('hook_pos_embed'), 2);
  for (const { layer: l, zHeads, attnOut, post, mlpOut } of s.sites) {
    const block = `blocks.${l}`;
    // attn.hook_result: head h's z at P times its rows of W_O, [batch, head, 1, head_dim] @ [head, head_dim, d].
    const outputByHead = g.op('Reshape', [s.weight(`h.${l}.attn.c_proj.weight`), g.ints([nHead, d / nHead, d])]);
    const result = g.op('Squeeze', [g.op('MatMul', [g.op('Unsqueeze', [at(zHeads), g.ints([2])]), outputByHead]), g.ints([2])]); // [batch, head, d]
    out(result, INTERVENTION_OUTPUTS.at(`${block}.attn.hook_result`), 3);
    out(at(attnOut), INTERVENTION_OUTPUTS.at(`${block}.hook_attn_out`), 2);
    out(at(post), INTERVENTION_OUTPUTS.at(`${block}.mlp.hook_post`), 2);
    out(at(mlpOut), INTERVENTION_OUTPUTS.at(`${block}.hook_mlp_out`), 2);
    out(s.residPoints[l], INTERVENTION_OUTPUTS.all(`${block}.hook_resid_pre`), 3);
    out(zHeads, INTERVENTION_OUTPUTS.all(`${block}.attn.hook_z`), 4);
    out(attnOut, INTERVENTION_OUTPUTS.all(`${block}.hook_attn_out`), 3);
    out(post, INTERVENTION_OUTPUTS.all(`${block}.mlp.hook_post`), 3);
    out(mlpOut, INTERVENTION_OUTPUTS.all(`${block}.hook_mlp_out`), 3);
  }
  const residAt = at(s.residPost); // [batch, d]
  out(residAt, INTERVENTION_OUTPUTS.at(`blocks.${nLayer - 1}.hook_resid_post`), 2);
  out(g.op('Gemm', [s.lnFinal(residAt), s.wte], { transB: 1 }), INTERVENTION_OUTPUTS.logitsAt, 2); // [batch, vocab]
}
