// Interventions as values: which hook, which layer and unit, and how. The engine applies them, the CLI parses
// and prints them, the views show them as chips — one type, spelt in TransformerLens's hook names.
//
//   blocks.{l}.attn.hook_z:H      head H's z at every position (its share of b_O stays)
//   blocks.{l}.hook_attn_out      the whole attention output, bias included
//   blocks.{l}.hook_mlp_out       the whole MLP output, bias included
//   blocks.{l}.mlp.hook_post:N    neuron N's activation

export const ABLATION_HOOKS = ['attn.hook_z', 'hook_attn_out', 'hook_mlp_out', 'mlp.hook_post'] as const;
export type AblationHook = (typeof ABLATION_HOOKS)[number];

export interface Ablation {
  readonly hook: AblationHook;
  readonly layer: number;
  /** The head (attn.hook_z) or neuron (mlp.hook_post); null for a whole output. */
  readonly unit: number | null;
}

/** Zero, or the activation's mean over the positions of the same text. */
export type AblationMode = 'zero' | 'mean';
export const ABLATION_MODES: readonly AblationMode[] = ['zero', 'mean'];

/** The units a run ablates and how: what the panel's chips show and every request of an ablated view carries. */
export interface AblationSetting {
  readonly ablations: readonly Ablation[];
  readonly mode: AblationMode;
}

/** Whether `setting` changes the model: absent or with no units, it is the model as it is. */
export function isAblating(setting: AblationSetting | undefined | null): setting is AblationSetting {
  return setting !== undefined && setting !== null && setting.ablations.length > 0;
}

/** One string per distinct setting, whatever order its units were given in. */
export function ablationKey(setting: AblationSetting): string {
  return `${setting.mode}:${setting.ablations.map(formatAblation).sort().join(',')}`;
}

/** The same unit ablated: a chip toggles it. */
export function sameAblation(a: Ablation, b: Ablation): boolean {
  return a.hook === b.hook && a.layer === b.layer && a.unit === b.unit;
}

/** Hooks a patching sweep runs over: per (layer, position), or per (layer, head) at every position. */
export const PATCH_HOOKS = ['hook_resid_pre', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_z'] as const;
export type PatchHook = (typeof PATCH_HOOKS)[number];

/**
 * An activation-patching sweep (engine/experiments/experiments.ts): the metric logit(target) − logit(versus)
 * (or logit(target)) at the last position of the clean and the corrupt run, and of the corrupt run with each
 * one activation of `hook` taken from the clean run: results[layer][position], or results[layer][head].
 */
export interface PatchReport {
  readonly hook: PatchHook;
  readonly targetId: number;
  readonly versusId: number | null;
  readonly clean: number;
  readonly corrupt: number;
  readonly results: readonly (readonly number[])[];
}

/** (patched − corrupt) / (clean − corrupt): 1 where the patch restores the clean metric, 0 where it changes nothing; NaN when clean = corrupt. */
export function normalisedEffect(report: PatchReport, patched: number): number {
  const span = report.clean - report.corrupt;
  return span === 0 ? Number.NaN : (patched - report.corrupt) / span;
}

const UNIT_OF: Record<AblationHook, 'head' | 'neuron' | null> = {
  'attn.hook_z': 'head',
  'mlp.hook_post': 'neuron',
  hook_attn_out: null,
  hook_mlp_out: null,
};

/** `blocks.3.attn.hook_z:5` → an Ablation, or a sentence saying what is wrong with it. */
export function parseAblation(spec: string): Ablation | string {
  const match = /^blocks\.(\d{1,4})\.(attn\.hook_z|hook_attn_out|hook_mlp_out|mlp\.hook_post)(?::(\d{1,6}))?$/.exec(spec.trim());
  if (!match) return `${JSON.stringify(spec)} is not an ablation: write blocks.L.attn.hook_z:H, blocks.L.hook_attn_out, blocks.L.hook_mlp_out or blocks.L.mlp.hook_post:N`;
  const hook = match[2] as AblationHook;
  const unit = match[3] === undefined ? null : Number(match[3]);
  const needs = UNIT_OF[hook];
  if (needs !== null && unit === null) return `${JSON.stringify(spec)} names no ${needs}: write ${spec}:${needs === 'head' ? 'H' : 'N'}`;
  if (needs === null && unit !== null) return `${JSON.stringify(spec)}: ${hook} is ablated whole, without :${unit}`;
  return { hook, layer: Number(match[1]), unit };
}

export function formatAblation(a: Ablation): string {
  return `blocks.${a.layer}.${a.hook}${a.unit === null ? '' : `:${a.unit}`}`;
}

/** Why `a` does not fit a model of this shape, or null when it does. */
export function ablationProblem(a: Ablation, shape: { readonly nLayer: number; readonly nHead: number; readonly nEmbd: number }): string | null {
  if (a.layer >= shape.nLayer) return `${formatAblation(a)}: the model has layers 0 to ${shape.nLayer - 1}`;
  if (a.hook === 'attn.hook_z' && a.unit! >= shape.nHead) return `${formatAblation(a)}: the model has heads 0 to ${shape.nHead - 1}`;
  if (a.hook === 'mlp.hook_post' && a.unit! >= 4 * shape.nEmbd) return `${formatAblation(a)}: the model has neurons 0 to ${4 * shape.nEmbd - 1}`;
  return null;
}

/**
 * Activation addition (Turner et al., 2023): tokenise `add` and `subtract`, pad the shorter at the end with the
 * token for a single space (id 220) to the same length K; v = scale · (`blocks.{layer}.hook_resid_pre`(add) −
 * `blocks.{layer}.hook_resid_pre`(subtract)), K × d_model; while the prompt runs, v[k] is added to
 * `blocks.{layer}.hook_resid_pre` at position k for k < min(K, prompt length). Later positions get nothing
 * (generated tokens see the steered prefix through attention). Scale 0 is the unsteered model.
 */
export interface Steering {
  readonly add: string;
  readonly subtract: string;
  readonly layer: number;
  readonly scale: number;
}

/** `+"Love" −"Hate" @L6 ×4`: how a steering reads in the status bar, the menus and the Compare Completions view. */
export function describeSteering(s: Steering): string {
  return `+${JSON.stringify(s.add)} −${JSON.stringify(s.subtract)} @L${s.layer} ×${s.scale}`;
}

/** The token the shorter steering text is padded with: a single space. */
export const STEERING_PAD_ID = 220;

/** One additive component of the final residual and its share of the logit difference (engine/experiments/attribution.ts). */
export interface AttributionComponent {
  /** `hook_embed`, `hook_pos_embed`, `blocks.{l}.attn.hook_result` (with `head`), `blocks.{l}.attn.b_O`, `blocks.{l}.hook_mlp_out`, `ln_final.b`. */
  readonly hook: string;
  readonly head?: number;
  readonly value: number;
}

export interface NeuronAttribution {
  readonly neuron: number;
  /** Its `mlp.hook_post` activation at the position. */
  readonly activation: number;
  readonly value: number;
}

/** One MLP's split: its output bias's share and its neurons with the largest |value|, largest first. */
export interface LayerNeuronAttribution {
  readonly layer: number;
  readonly bias: number;
  readonly top: readonly NeuronAttribution[];
}

/** Direct logit attribution of logit(target) − logit(versus) (or logit(target)) at a position. */
export interface AttributionReport {
  readonly position: number;
  readonly targetId: number;
  readonly versusId: number | null;
  /** The model's own logit difference; the components sum to it. */
  readonly logitDiff: number;
  readonly components: readonly AttributionComponent[];
  readonly neurons: readonly LayerNeuronAttribution[];
}
