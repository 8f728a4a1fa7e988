// Direct logit attribution: which components of the final residual stream push the logit of a target token
// (against a competitor) at one position.
//
// Definition. At token position P, target token A, optional versus token B: u = W_U[:,A] − W_U[:,B] (or
// W_U[:,A] alone; W_U = wteᵀ, as GPT-2 ties them). x = the final residual at P (`blocks.{L-1}.hook_resid_post`),
// s = sqrt(var(x) + ε) (ln_final's scale, population variance). Every additive component c of x gets
//     value(c) = ((c − mean(c)) / s) · (w_lnf ⊙ u)
// and the constant component `ln_final.b` gets b_lnf · u. The components are `hook_embed`, `hook_pos_embed`,
// for every layer l and head h `blocks.{l}.attn.hook_result` (z_h · W_O[h], no bias), `blocks.{l}.attn.b_O`,
// and `blocks.{l}.hook_mlp_out` (bias included). Since LayerNorm's centring and scaling are linear once s is
// fixed, the values sum exactly (up to rounding) to logit(A) − logit(B) at P (or logit(A)).
// Neurons: each MLP's output split the same way into neuron n's post-activation × its row of W_out, and the
// bias `blocks.{l}.mlp.b_out`.

import type { AttributionComponent, LayerNeuronAttribution } from '../../protocol/interventions';

export interface AttributionInputs {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly epsilon: number;
  /** At P: [d] each. */
  readonly embed: Float32Array;
  readonly posEmbed: Float32Array;
  /** Per layer: [head · d] (head-major), [d], [4d]. */
  readonly headResults: readonly Float32Array[];
  readonly mlpOut: readonly Float32Array[];
  readonly post: readonly Float32Array[];
  readonly residPost: Float32Array;
  /** Weights: ln_f's [d] gain and bias, W_U's columns of A (and B) [d], each layer's c_proj bias [d], W_out [4d, d] and b_out [d]. */
  readonly lnfWeight: Float32Array;
  readonly lnfBias: Float32Array;
  readonly unembedTarget: Float32Array;
  readonly unembedVersus: Float32Array | null;
  readonly attnOutBias: readonly Float32Array[];
  readonly mlpOutWeight: readonly Float32Array[];
  readonly mlpOutBias: readonly Float32Array[];
}

export interface Attribution {
  readonly components: readonly AttributionComponent[];
  readonly neurons: readonly LayerNeuronAttribution[];
  /** Σ components: logit(A) − logit(B) at P as the decomposition computes it. */
  readonly total: number;
}

/** s = sqrt(var(x) + ε): ln_final's scale at a position whose final residual is `residPost` (population variance). */
export function finalScale(residPost: ArrayLike<number>, epsilon: number): number {
  const d = residPost.length;
  let sum = 0;
  for (let i = 0; i < d; i++) sum += residPost[i];
  const mean = sum / d;
  let variance = 0;
  for (let i = 0; i < d; i++) variance += (residPost[i] - mean) ** 2;
  return Math.sqrt(variance / d + epsilon);
}

/**
 * r = ((c − mean(c)) / s) ⊙ w_lnf for the `d` values of component `c` from `from`: what c adds to the logits
 * once ln_final's scale s is fixed, before the unembedding, so value(c) = r · u for a token direction u.
 * Written into `into` (a scratch buffer callers reuse over thousands of neurons).
 */
export function readout(c: ArrayLike<number>, from: number, d: number, lnfWeight: Float32Array, s: number, into = new Float64Array(d)): Float64Array {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += c[from + i];
  const mean = sum / d;
  for (let i = 0; i < d; i++) into[i] = ((c[from + i] - mean) / s) * lnfWeight[i];
  return into;
}

export function attribute(x: AttributionInputs, topNeurons = 10): Attribution {
  const d = x.nEmbd;
  const s = finalScale(x.residPost, x.epsilon);
  const u = Float64Array.from({ length: d }, (_, i) => x.unembedTarget[i] - (x.unembedVersus?.[i] ?? 0));
  const scratch = new Float64Array(d);
  const value = (c: ArrayLike<number>, from = 0): number => {
    const r = readout(c, from, d, x.lnfWeight, s, scratch);
    let sum = 0;
    for (let i = 0; i < d; i++) sum += r[i] * u[i];
    return sum;
  };

  const components: AttributionComponent[] = [
    { hook: 'hook_embed', value: value(x.embed) },
    { hook: 'hook_pos_embed', value: value(x.posEmbed) },
  ];
  const neurons: LayerNeuronAttribution[] = [];
  for (let l = 0; l < x.nLayer; l++) {
    for (let h = 0; h < x.nHead; h++) components.push({ hook: `blocks.${l}.attn.hook_result`, head: h, value: value(x.headResults[l], h * d) });
    components.push({ hook: `blocks.${l}.attn.b_O`, value: value(x.attnOutBias[l]) });
    components.push({ hook: `blocks.${l}.hook_mlp_out`, value: value(x.mlpOut[l]) });
    const byNeuron = Array.from(x.post[l], (activation, n) => ({ neuron: n, activation, value: activation * value(x.mlpOutWeight[l], n * d) }));
    byNeuron.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.neuron - b.neuron);
    neurons.push({ layer: l, bias: value(x.mlpOutBias[l]), top: byNeuron.slice(0, topNeurons) });
  }
  let bias = 0;
  for (let i = 0; i < d; i++) bias += x.lnfBias[i] * u[i];
  components.push({ hook: 'ln_final.b', value: bias });
  return { components, neurons, total: components.reduce((sum, c) => sum + c.value, 0) };
}
