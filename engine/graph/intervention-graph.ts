// Interventions as inputs of the hooked graph (its `interventions` variant, a sibling graph built by the same
// builder and cached beside it): one graph serves every ablation and patching experiment, and the plain
// graph the panel and completions run has none of these nodes, so it is not slowed by them.
//
// Each site X — `blocks.{l}.hook_resid_pre`, `blocks.{l}.attn.hook_z`, `blocks.{l}.hook_attn_out`,
// `blocks.{l}.mlp.hook_post`, `blocks.{l}.hook_mlp_out` — becomes
//
//     X' = keep ⊙ X + (1 − keep) ⊙ (replace + mean · mean_over_positions(X))
//
// and `hook_resid_pre` also takes an `add` (X' + add): activation addition, for steering.
//
// with `keep` and `replace` inputs indexed by layer (and batch, position, head or neuron where a sweep needs
// it; any of those dims may be 1 to broadcast), and one `mean` flag for all sites: keep = 1 is the identity,
// keep = 0 with replace = 0 ablates to zero, with mean = 1 to the mean over the text's positions (of the
// activation as this run computes it), with replace = another run's activation patches it in.
//
// Runs may also join the batch at a later layer (`join`): rows appended to the batch just before that layer's
// `hook_resid_pre`, so a patching sweep runs a patch at layer l from layer l on, on the corrupt run's residual
// there, instead of recomputing the layers below, which it cannot change. The batch's entries are the
// `input_ids` rows, then the joined rows in layer order; an input indexed by batch covers them all, and layer
// l sees the first entries that exist there. Joins are for runs without hooks (the lens expects one batch),
// and with at least one `input_ids` row: a layer of 0 entries crashed onnxruntime (SIGFPE).
//
// The variant also returns what attribution needs at one position P (input `glassbox.position`): the
// embeddings, each head's `attn.hook_result` (z_h · W_O[h], no bias), each layer's attention and MLP output,
// neuron activations, the final residual and the logits there; and every site's full activation, so that
// one run of a clean text provides the replacements for patching.

import { DataType, type GraphBuilder } from './onnx-builder';

const F = DataType.FLOAT;

export const INTERVENTION_SITES = ['hook_resid_pre', 'attn.hook_z', 'hook_attn_out', 'mlp.hook_post', 'hook_mlp_out'] as const;
export type InterventionSite = (typeof INTERVENTION_SITES)[number];

/** The per-layer unit of each site: its trailing dims after [batch, layer, position]. */
export function siteUnitDims(site: InterventionSite, nHead: number, nEmbd: number): { keep: number[]; replace: number[] } {
  const headDim = nEmbd / nHead;
  switch (site) {
    case 'attn.hook_z':
      return { keep: [nHead, 1], replace: [nHead, headDim] };
    case 'mlp.hook_post':
      return { keep: [4 * nEmbd], replace: [4 * nEmbd] };
    default:
      return { keep: [1], replace: [nEmbd] };
  }
}

export const INTERVENTION_INPUTS = {
  /** float [batch | 1, layer, position | 1, …unit]: 1 keeps, 0 replaces. */
  keep: (site: InterventionSite) => `glassbox.${site}.keep`,
  /** float [batch | 1, layer | 1, position | 1, …unit]: what a replaced unit becomes (plus the mean when asked). */
  replace: (site: InterventionSite) => `glassbox.${site}.replace`,
  /** float [rows, position, d]: `hook_resid_pre` (before its intervention) of runs that join the batch at a later layer. */
  join: 'glassbox.join',
  /** int64 [layer + 1 | 1]: rows offsets[l] … offsets[l + 1] − 1 of `join` join at layer l; [0] joins none. */
  joinOffsets: 'glassbox.join_offsets',
  /** float [batch | 1, layer | 1, position | 1, d]: added to `hook_resid_pre` after the rest (steering). */
  residAdd: 'glassbox.hook_resid_pre.add',
  /** float [1]: 1 adds each activation's mean over positions to its replacement (mean ablation), 0 not. */
  mean: 'glassbox.ablate_mean',
  /** int64 [1]: the position P whose components the `at` outputs hold. */
  position: 'glassbox.position',
} as const;

export const INTERVENTION_OUTPUTS = {
  /** At P, [batch, …]: `hook_embed`, `hook_pos_embed` [batch, d]; per layer `attn.hook_result` [batch, head, d], ... */
  at: (hook: string) => `at.${hook}`,
  /** Every position, [batch, position, …unit]: a site's activation after its intervention. */
  all: (hook: string) => `all.${hook}`,
  /** [batch, vocab]: the logits at P. */
  logitsAt: 'at.logits',
} as const;

export interface InterventionContext {
  readonly mean: string;
  readonly position: string;
  /** [layer] → the rows that join the batch there, [rows, position, d]. */
  readonly join: (layer: number) => string;
  /** [layer] → what is added to that layer's `hook_resid_pre`, [batch, position, d]. */
  readonly residAdd: (layer: number) => string;
  /** [layer] → the keep and replace inputs' slices at that layer, [batch, position, …unit]. */
  readonly site: (site: InterventionSite, layer: number) => { keep: string; replace: string };
}

/** Declares the inputs; `nLayer` etc. are written as symbolic or fixed dims. */
export function interventionInputs(g: GraphBuilder, nHead: number, nEmbd: number): InterventionContext {
  const inputs = new Map<InterventionSite, { keep: string; replace: string }>();
  for (const site of INTERVENTION_SITES) {
    const unit = siteUnitDims(site, nHead, nEmbd);
    const symbolic = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}_${i}`);
    inputs.set(site, {
      keep: g.input(INTERVENTION_INPUTS.keep(site), F, [...symbolic(`${site}_keep`, 3), ...unit.keep.map((_, i) => `${site}_keep_unit_${i}`)]),
      replace: g.input(INTERVENTION_INPUTS.replace(site), F, [...symbolic(`${site}_replace`, 3), ...unit.replace.map((_, i) => `${site}_replace_unit_${i}`)]),
    });
  }
  const join = g.input(INTERVENTION_INPUTS.join, F, ['join_rows', 'join_position', nEmbd]);
  const joinOffsets = g.input(INTERVENTION_INPUTS.joinOffsets, DataType.INT64, ['join_offsets']);
  const residAdd = g.input(INTERVENTION_INPUTS.residAdd, F, ['add_batch', 'add_layer', 'add_position', 'add_unit']);
  const mean = g.input(INTERVENTION_INPUTS.mean, F, [1]);
  const position = g.input(INTERVENTION_INPUTS.position, DataType.INT64, [1]);
  // Layer `layer` of an input [batch, layer, …]; one of a single layer (dim 1) serves every layer.
  const atLayer = (x: string, layer: number): string => {
    const last = g.op('Sub', [g.op('Shape', [x], { start: 1, end: 2 }), g.ints([1])]);
    return g.op('Squeeze', [g.op('Gather', [x, g.op('Min', [g.ints([layer]), last])], { axis: 1 }), g.ints([1])]);
  };
  // offsets[min(i, last)]: a single [0] serves every layer.
  const offset = (i: number) => g.op('Gather', [joinOffsets, g.op('Min', [g.ints([i]), g.op('Sub', [g.op('Shape', [joinOffsets]), g.ints([1])])])]);
  return {
    mean,
    position,
    join: (layer) => g.op('Slice', [join, offset(layer), offset(layer + 1), g.ints([0])]),
    residAdd: (layer) => atLayer(residAdd, layer),
    site: (site, layer) => {
      const { keep, replace } = inputs.get(site)!;
      return { keep: atLayer(keep, layer), replace: atLayer(replace, layer) };
    },
  };
}

/** X' = keep ⊙ X + (1 − keep) ⊙ (replace + mean · mean_over_positions(X)); X is [batch, position, …unit]. */
export function intervene(g: GraphBuilder, x: string, ctx: InterventionContext, site: InterventionSite, layer: number): string {
  // An input's first entries, as many as exist at this layer (a dim of 1 stays 1 and broadcasts).
  const present = g.op('Shape', [x], { start: 0, end: 1 });
  const fit = (input: string) => g.op('Slice', [input, g.ints([0]), present, g.ints([0])]);
  const sliced = ctx.site(site, layer);
  const [keep, replace] = [fit(sliced.keep), fit(sliced.replace)];
  const positionMean = g.op('ReduceMean', [x, g.ints([1])], { keepdims: 1 }); // [batch, 1, …unit]
  const replacement = g.op('Add', [replace, g.op('Mul', [ctx.mean, positionMean])]);
  const dropped = g.op('Sub', [g.scalarFloat(1), keep]);
  const changed = g.op('Add', [g.op('Mul', [x, keep]), g.op('Mul', [dropped, replacement])], {}, `intervened_${site.replace(/\W/g, '_')}_${layer}`);
  return site === 'hook_resid_pre' ? g.op('Add', [changed, fit(ctx.residAdd(layer))], {}, `steered_${layer}`) : changed;
}

/** x [batch, position, …] at P → [batch, …]. */
export function atPosition(g: GraphBuilder, x: string, ctx: InterventionContext): string {
  return g.op('Squeeze', [g.op('Gather', [x, ctx.position], { axis: 1 }), g.ints([1])]);
}
