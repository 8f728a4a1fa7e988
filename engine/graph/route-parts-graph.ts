// The dense products behind one layer's routes (engine/experiments/routes.ts), in a small graph of its own
// (no weights: W_O is an input), run once a layer.
//
// Why a graph: the attention parts' proximities need s_i · u_{j,h} for every i, j and h, with s_i = sign(y_i)
// (routes.ts says why): n² · H · head_dim + n · d² multiply-adds a layer, milliseconds for onnxruntime's MatMul
// and about a second over twelve layers in JavaScript. Not in the intervention graph: its session runs every
// node on every ablated inspection and patching run, which need none of this.

import { OPSET } from './hooked-graph';
import { DataType, encodeModel, GraphBuilder } from './onnx-builder';
import { causalPattern } from './pattern-graph';

export const ROUTE_PARTS_INPUTS = {
  /** [1, head, n, head_dim] each, as the model graph returns them (the queries scaled). */
  query: 'query',
  key: 'key',
  value: 'value',
  /** [n, d]: the attention block's output y = hook_resid_mid. */
  residMid: 'resid_mid',
  /** [d, d]: W_O as c_proj stores it, rows h·head_dim … belonging to head h. */
  outputWeight: 'output_weight',
} as const;

export const ROUTE_PARTS_OUTPUTS = {
  /** [head, n (i), n (j)]: A_h[i, j], zero above the diagonal. */
  pattern: 'pattern',
  /** [head, n, d]: u_{j,h} = v_h[j] · W_O[h], what head h writes from token j at full attention. */
  written: 'written',
  /** [head, n (i), n (j)]: s_i · u_{j,h}, s_i = sign(y_i) with sign(0) = 1. */
  aligned: 'aligned',
  /** [head, n] each: max_k max(0, u_{j,h}[k]) and max_k max(0, −u_{j,h}[k]). */
  reachUp: 'reach_up',
  reachDown: 'reach_down',
} as const;

const F = DataType.FLOAT;

export function buildRoutePartsGraph(nHead: number, headDim: number): Uint8Array {
  const d = nHead * headDim;
  const g = new GraphBuilder('glassbox_route_parts');
  const [query, key, value] = [ROUTE_PARTS_INPUTS.query, ROUTE_PARTS_INPUTS.key, ROUTE_PARTS_INPUTS.value].map((name) => g.input(name, F, [1, nHead, 'n', headDim]));
  const residMid = g.input(ROUTE_PARTS_INPUTS.residMid, F, ['n', d]);
  const outputWeight = g.input(ROUTE_PARTS_INPUTS.outputWeight, F, [d, d]);
  const squeezed = (x: string, name?: string) => g.opN('Squeeze', [x, g.ints([0])], [name ?? g.fresh('squeeze')])[0];

  squeezed(causalPattern(g, query, key), ROUTE_PARTS_OUTPUTS.pattern); // [head, n, n]
  const values = squeezed(value); // [head, n, head_dim]
  const byHead = g.op('Reshape', [outputWeight, g.ints([nHead, headDim, d])]); // [head, head_dim, d]
  const written = g.opN('MatMul', [values, byHead], [ROUTE_PARTS_OUTPUTS.written])[0]; // [head, n, d]
  // s_i · (v_h[j] · W_O[h]) = (s_i · W_O[h]ᵀ) · v_h[j]: n·d² + n²·d multiplies rather than n²·d·H.
  const sign = g.op('Where', [g.op('Less', [residMid, g.scalarFloat(0)]), g.scalarFloat(-1), g.scalarFloat(1)]); // [n, d]
  const signByHead = g.op('Reshape', [g.op('Gemm', [sign, outputWeight], { transB: 1 }), g.ints([-1, nHead, headDim])]); // [n, head, head_dim]
  const perHead = g.op('Transpose', [signByHead], { perm: [1, 0, 2] }); // [head, n, head_dim]
  g.opN('MatMul', [perHead, g.op('Transpose', [values], { perm: [0, 2, 1] })], [ROUTE_PARTS_OUTPUTS.aligned]); // [head, n, n]
  const largest = (x: string, name: string) => g.opN('Relu', [g.op('ReduceMax', [x, g.ints([2])], { keepdims: 0 })], [name]); // [head, n]
  largest(written, ROUTE_PARTS_OUTPUTS.reachUp);
  largest(g.op('Neg', [written]), ROUTE_PARTS_OUTPUTS.reachDown);

  g.output(ROUTE_PARTS_OUTPUTS.pattern, F, [nHead, 'n', 'n']);
  g.output(ROUTE_PARTS_OUTPUTS.written, F, [nHead, 'n', d]);
  g.output(ROUTE_PARTS_OUTPUTS.aligned, F, [nHead, 'n', 'n']);
  g.output(ROUTE_PARTS_OUTPUTS.reachUp, F, [nHead, 'n']);
  g.output(ROUTE_PARTS_OUTPUTS.reachDown, F, [nHead, 'n']);
  return encodeModel(g.graph(), OPSET, 'glassbox');
}
