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
//
// How the attention parts are computed. Written plainly, their proximities are n²/2 · H · d terms a layer
// (75 M for GPT-2 small at 128 tokens; twelve layers took seconds in JavaScript). With s = sign(y) (sign(0) = 1)
// and w = s_k · c_k, each coordinate's |y_k| − |y_k − c_k| = |y_k| − ||y_k| − w| is w − 2 · max(0, w − |y_k|).
// So for c = A_h[i, j] · u_{j,h}, u_{j,h} = v_h[j] · W_O[h]:
//
//     ‖y‖₁ − ‖y − c‖₁ = A_h[i, j] · (s · u_{j,h}) − 2 Σ_k max(0, A_h[i, j] · s_k · u_{j,h}[k] − |y_k|)
//
// exactly. The products s · u_{j,h} are matrix products, made with the u in a small graph
// (engine/graph/route-parts-graph.ts). The sum's terms are zero wherever |y_k| ≥ A_h[i, j] · max_k' s_k · u_{j,h}[k']
// (u's largest entry of y_k's sign), so it visits y's coordinates of each sign in increasing |y_k| and stops
// there: about 5 of 768 a part on the benchmark's GPT-2-small-shaped model at 128 tokens.

import { packedPatternLength } from '../../protocol/inspection';
import type { RouteImportances, Routes } from '../../protocol/routes';

export interface LayerActivations {
  /** [n, d] row-major: hook_resid_pre, hook_resid_mid (= resid_pre + hook_attn_out), hook_mlp_out. */
  readonly residPre: Float32Array;
  readonly residMid: Float32Array;
  readonly mlpOut: Float32Array;
  /** The route-parts graph's products for this layer's attention, W_O and resid_mid. */
  readonly parts: HeadParts;
}

/** What the route-parts graph (engine/graph/route-parts-graph.ts) computes. */
export interface HeadParts {
  /** [head, n (i), n (j)]: A_h[i, j], zero above the diagonal. */
  readonly pattern: Float32Array;
  /** [head, n, d]: u_{j,h} = v_h[j] · W_O[h]. */
  readonly written: Float32Array;
  /** [head, n (i), n (j)]: sign(resid_mid[i]) · u_{j,h}, with sign(0) = 1. */
  readonly aligned: Float32Array;
  /** [head, n] each: max_k max(0, u_{j,h}[k]) and max_k max(0, −u_{j,h}[k]). */
  readonly reachUp: Float32Array;
  readonly reachDown: Float32Array;
}

type Layers = Iterable<LayerActivations> | AsyncIterable<LayerActivations>;

/**
 * The importances of every layer; with `byHead`, also each head's (the CLI's JSON; the Routes view sums over
 * heads). `layers` may be made one at a time: at 1,024 tokens a layer's products are 140 MB.
 */
export async function routeImportances(layers: Layers, n: number, nHead: number, d: number, byHead: true): Promise<Routes>;
export async function routeImportances(layers: Layers, n: number, nHead: number, d: number, byHead?: false): Promise<RouteImportances>;
export async function routeImportances(layers: Layers, n: number, nHead: number, d: number, byHead = false): Promise<RouteImportances | Routes> {
  const routes: RouteImportances = { attention: [], attentionResidual: [], mlp: [], mlpResidual: [] };
  const attentionByHead: number[][][][] = [];
  const parts = new AttentionParts(n, nHead, d);
  const post = new Float64Array(d);
  for await (const layer of layers) {
    const all = parts.proximities(layer.parts, layer.residMid); // [i][j ≤ i][head]
    const attention: number[][] = [];
    const perHead: number[][][] = [];
    const attentionResidual: number[] = [];
    const mlp: number[] = [];
    const mlpResidual: number[] = [];
    for (let i = 0; i < n; i++) {
      // Attention block: y = resid_mid[i], parts resid_pre[i] and every c_{j,h}.
      const y = layer.residMid.subarray(i * d, (i + 1) * d);
      const residual = proximity(y, layer.residPre.subarray(i * d, (i + 1) * d));
      const proximities = all.subarray(packedPatternLength(i) * nHead, packedPatternLength(i + 1) * nHead); // [j ≤ i][head]
      let sum = residual;
      for (let p = 0; p < (i + 1) * nHead; p++) sum += proximities[p];
      const scale = sum > 0 ? 1 / sum : 0;
      const row = new Array<number>(i + 1).fill(0);
      for (let j = 0; j <= i; j++) for (let h = 0; h < nHead; h++) row[j] += proximities[j * nHead + h] * scale;
      attention.push(row);
      if (byHead) perHead.push(Array.from({ length: i + 1 }, (_, j) => Array.from(proximities.subarray(j * nHead, (j + 1) * nHead), (p) => p * scale)));
      attentionResidual.push(residual * scale);
      // MLP block: y = resid_post[i] = resid_mid[i] + mlp_out[i], parts resid_mid[i] and mlp_out[i].
      const out = layer.mlpOut.subarray(i * d, (i + 1) * d);
      for (let k = 0; k < d; k++) post[k] = y[k] + out[k];
      const fromMlp = proximity(post, out);
      const fromMid = proximity(post, y);
      const total = fromMlp + fromMid;
      mlp.push(total > 0 ? fromMlp / total : 0);
      mlpResidual.push(total > 0 ? fromMid / total : 0);
    }
    routes.attention.push(attention);
    attentionByHead.push(perHead);
    routes.attentionResidual.push(attentionResidual);
    routes.mlp.push(mlp);
    routes.mlpResidual.push(mlpResidual);
  }
  return byHead ? { ...routes, attentionByHead } : routes;
}

/**
 * One layer's attention proximities by the identity in the header, [i][j ≤ i][head] packed as the patterns
 * are; buffers reused across layers. Each head's parts from one token j are taken together, so that u_{j,h}
 * stays in cache while every position's coordinates are visited: a position at a time, the reads scattered
 * over the layer's u (4.7 MB for GPT-2 small at 128 tokens) missed it (twelve layers took ~1.2× as long).
 */
class AttentionParts {
  private readonly out: Float64Array;
  private readonly up: SmallCoordinates; // y_k ≥ 0 (s_k = 1)
  private readonly down: SmallCoordinates; // y_k < 0 (s_k = −1)

  constructor(
    private readonly n: number,
    private readonly nHead: number,
    private readonly d: number,
  ) {
    this.out = new Float64Array(packedPatternLength(n) * nHead);
    this.up = new SmallCoordinates(n, d, 1);
    this.down = new SmallCoordinates(n, d, -1);
  }

  /** max(0, ‖y_i‖₁ − ‖y_i − c_{j,h}‖₁) for y = `residMid` [n, d]. A view, overwritten by the next call. */
  proximities(parts: HeadParts, residMid: Float32Array): Float64Array {
    const { n, nHead, d, out, up, down } = this;
    const { pattern, written, aligned, reachUp, reachDown } = parts;
    for (let i = 0; i < n; i++) {
      // A term max(0, a · s_k · u_k − |y_k|) can be positive only where |y_k| < a · max_k' s_k · u_k', for
      // y_k ≥ 0 and y_k < 0 apart: each side's coordinates below the largest such bound at i, sorted.
      let [limitUp, limitDown] = [0, 0];
      for (let h = 0; h < nHead; h++) {
        for (let j = 0; j <= i; j++) {
          const a = pattern[(h * n + i) * n + j];
          limitUp = Math.max(limitUp, a * reachUp[h * n + j]);
          limitDown = Math.max(limitDown, a * reachDown[h * n + j]);
        }
      }
      const y = residMid.subarray(i * d, (i + 1) * d);
      up.keep(i, y, limitUp);
      down.keep(i, y, limitDown);
    }
    for (let h = 0; h < nHead; h++) {
      for (let j = 0; j < n; j++) {
        const u = (h * n + j) * d;
        const [most, least] = [reachUp[h * n + j], reachDown[h * n + j]];
        for (let i = j; i < n; i++) {
          const a = pattern[(h * n + i) * n + j];
          const excess = up.excess(i, written, u, a, a * most) + down.excess(i, written, u, -a, a * least);
          out[(packedPatternLength(i) + j) * nHead + h] = Math.max(0, a * aligned[(h * n + i) * n + j] - 2 * excess);
        }
      }
    }
    return out;
  }
}

/** Each position's coordinates of y of one sign (sign(0) = 1) whose |y_k| is below a limit, in increasing |y_k|. */
class SmallCoordinates {
  private readonly start: Int32Array; // [position]: where its coordinates begin in `order`
  private readonly order: Int32Array;
  private readonly magnitude: Float32Array; // |y| in `order`, each position's followed by Infinity, which ends every scan
  private readonly keys: Float64Array;
  private readonly absolute: Float32Array;
  private readonly bits: Uint32Array;

  constructor(
    n: number,
    private readonly d: number,
    private readonly sign: 1 | -1,
  ) {
    if (d > KEY_SPAN) throw new Error(`SmallCoordinates keys hold at most ${KEY_SPAN} coordinates, not ${d}`);
    this.start = new Int32Array(n + 1);
    this.order = new Int32Array(n * (d + 1));
    this.magnitude = new Float32Array(n * (d + 1));
    this.keys = new Float64Array(d);
    this.absolute = new Float32Array(d);
    this.bits = new Uint32Array(this.absolute.buffer);
  }

  /** Keeps position i's coordinates of this sign with |y_k| < limit, sorted; positions are kept in order 0, 1, …. */
  keep(i: number, y: Float32Array, limit: number): void {
    let count = 0;
    for (let k = 0; k < this.d; k++) {
      if ((y[k] < 0 ? -1 : 1) !== this.sign) continue;
      this.absolute[k] = Math.abs(y[k]);
      // A non-negative float's bits order as it does; with the coordinate below them, one native numeric sort
      // of exact doubles (bits < 2³¹, times 2¹⁶) orders the coordinates, much faster than a comparator.
      if (this.absolute[k] < limit) this.keys[count++] = this.bits[k] * KEY_SPAN + k;
    }
    const keys = this.keys.subarray(0, count).sort();
    const first = i === 0 ? 0 : this.start[i];
    for (let r = 0; r < count; r++) {
      const k = keys[r] % KEY_SPAN;
      this.order[first + r] = k;
      this.magnitude[first + r] = this.absolute[k];
    }
    this.magnitude[first + count] = Infinity;
    this.start[i + 1] = first + count + 1;
  }

  /** Σ max(0, scale · written[at + k] − |y_k|) over position i's kept coordinates with |y_k| < bound. */
  excess(i: number, written: Float32Array, at: number, scale: number, bound: number): number {
    const { order, magnitude } = this;
    let sum = 0;
    for (let r = this.start[i]; magnitude[r] < bound; r++) sum += Math.max(0, scale * written[at + order[r]] - magnitude[r]);
    return sum;
  }
}

const KEY_SPAN = 65536;

/** max(0, ‖y‖₁ − ‖y − c‖₁). */
function proximity(y: ArrayLike<number>, c: ArrayLike<number>): number {
  let norm = 0;
  let distance = 0;
  for (let k = 0; k < y.length; k++) {
    norm += Math.abs(y[k]);
    distance += Math.abs(y[k] - c[k]);
  }
  return Math.max(0, norm - distance);
}
