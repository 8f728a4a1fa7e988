// Information-flow routes (Ferrando & Voita, 2024; the LLM Transparency Tool's contributions): which earlier
// tokens and which components a prediction's information came through, from one forward pass.
//
// Definitions. At layer l and position i, the attention block's output y = `blocks.{l}.hook_resid_mid`[i] is
// the residual r = `hook_resid_pre`[i], plus b_O, plus one part per source token j ≤ i and head h:
// c_{j,h} = A_h[i, j] · v_h[j] · W_O[h]. Its parts are r and every c_{j,h} (the bias is in y but is no part).
// The MLP block's output y = `hook_resid_post`[i] has the parts `hook_resid_mid`[i] and `hook_mlp_out`[i].
// A part c of y gets the proximity max(0, ‖y‖₁ − ‖y − c‖₁); importances are proximities divided by their
// sum over y's parts (all zero stays zero). The edge j → i at layer l weighs Σ_h importance(c_{j,h}).
//
// The route graph, as the LLM Transparency Tool builds it: nodes are each position's residual stream before
// layer 0 and after each block; edges are the attention edges j → i (weight as above), each position's
// residual past the attention (its r's importance), the MLP (its output's importance) and the residual past
// the MLP (resid_mid's importance). Kept are the edges of weight ≥ τ reachable backwards, along kept edges,
// from the predicted position's final residual; the attention and MLP edges among them are reported. The graph
// is drawn from the importances by protocol/routes.ts (routeGraph), so the CLI and the Routes view share it.

import { patternRow } from '../../protocol/inspection';
import type { Routes } from '../../protocol/routes';
import type { Float32Tensor } from '../../protocol/tensor';

export interface LayerActivations {
  /** [n, d] row-major: hook_resid_pre, hook_attn_out (bias included), hook_mlp_out. */
  readonly residPre: Float32Array;
  readonly attnOut: Float32Array;
  readonly mlpOut: Float32Array;
  /** [head, n·(n+1)/2]: the attention pattern packed row by row, as `Attention.patterns` (read with patternRow). */
  readonly pattern: Float32Tensor;
  /** [head, n, head_dim]: the values. */
  readonly value: Float32Array;
  /** [d, d]: W_O as c_proj stores it, rows h·head_dim … belonging to head h. */
  readonly outputWeight: Float32Array;
}

export function routeImportances(layers: readonly LayerActivations[], n: number, nHead: number, d: number): Routes {
  const hd = d / nHead;
  const routes: Routes = { attention: [], attentionByHead: [], attentionResidual: [], mlp: [], mlpResidual: [] };
  const y = new Float64Array(d);
  for (const layer of layers) {
    // v_h[j] · W_O[h] for every source token and head: [n, head, d].
    const written = new Float64Array(n * nHead * d);
    for (let j = 0; j < n; j++) {
      for (let h = 0; h < nHead; h++) {
        const out = (j * nHead + h) * d;
        for (let e = 0; e < hd; e++) {
          const v = layer.value[(h * n + j) * hd + e];
          const row = (h * hd + e) * d;
          for (let k = 0; k < d; k++) written[out + k] += v * layer.outputWeight[row + k];
        }
      }
    }
    const attention: number[][] = [];
    const byHead: number[][][] = [];
    const attentionResidual: number[] = [];
    const mlp: number[] = [];
    const mlpResidual: number[] = [];
    for (let i = 0; i < n; i++) {
      // Attention block: y = resid_mid[i] = resid_pre[i] + attn_out[i].
      for (let k = 0; k < d; k++) y[k] = layer.residPre[i * d + k] + layer.attnOut[i * d + k];
      const norm = l1(y);
      const residual = proximity(norm, y, (k) => layer.residPre[i * d + k]);
      const parts: number[][] = [];
      let sum = residual;
      const weights = Array.from({ length: nHead }, (_, h) => patternRow(layer.pattern, h, i)); // [head][j ≤ i]
      for (let j = 0; j <= i; j++) {
        const row: number[] = [];
        for (let h = 0; h < nHead; h++) {
          const a = weights[h][j];
          const base = (j * nHead + h) * d;
          const p = proximity(norm, y, (k) => a * written[base + k]);
          row.push(p);
          sum += p;
        }
        parts.push(row);
      }
      const share = (p: number) => (sum > 0 ? p / sum : 0);
      byHead.push(parts.map((row) => row.map(share)));
      attention.push(parts.map((row) => row.reduce((s, p) => s + share(p), 0)));
      attentionResidual.push(share(residual));
      // MLP block: y = resid_post[i] = resid_mid[i] + mlp_out[i], parts resid_mid[i] and mlp_out[i].
      const mid = Float64Array.from(y);
      for (let k = 0; k < d; k++) y[k] = mid[k] + layer.mlpOut[i * d + k];
      const postNorm = l1(y);
      const fromMlp = proximity(postNorm, y, (k) => layer.mlpOut[i * d + k]);
      const fromMid = proximity(postNorm, y, (k) => mid[k]);
      const total = fromMlp + fromMid;
      mlp.push(total > 0 ? fromMlp / total : 0);
      mlpResidual.push(total > 0 ? fromMid / total : 0);
    }
    routes.attention.push(attention);
    routes.attentionByHead.push(byHead);
    routes.attentionResidual.push(attentionResidual);
    routes.mlp.push(mlp);
    routes.mlpResidual.push(mlpResidual);
  }
  return routes;
}

function l1(v: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += Math.abs(v[k]);
  return sum;
}

/** max(0, ‖y‖₁ − ‖y − c‖₁) for the part c given entry by entry. */
function proximity(norm: number, y: Float64Array, part: (k: number) => number): number {
  let distance = 0;
  for (let k = 0; k < y.length; k++) distance += Math.abs(y[k] - part(k));
  return Math.max(0, norm - distance);
}
