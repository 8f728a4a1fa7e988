// One layer's attention patterns, rebuilt from the queries and keys the model graph returned, in a small
// graph of its own (no weights).
//
// Why not as outputs of the model graph: at 1,024 tokens the twelve layers' patterns are 0.3 GB, held by
// onnxruntime to the end of the run and again as the JS copy its node binding returns; computing them one
// layer at a time, and shipping in full only the layers a view shows, keeps an inspection within its
// memory budget and its messages small. Every layer still yields its thumbnails for the overview.

import { MASKED_SCORE, OPSET } from './hooked-graph';
import { DataType, encodeModel, GraphBuilder } from './onnx-builder';

export const PATTERN_INPUTS = { query: 'query', key: 'key' } as const;
export const PATTERN_OUTPUTS = {
  /** [layer, head, n, n]: zero above the diagonal. (Packing it here with Compress took longer than the rest.) */
  pattern: 'pattern',
  /** [layer, head + 1, tiles, tiles]: each head's pattern, then the mean over heads, max-pooled in square blocks. */
  thumbnails: 'thumbnails',
} as const;

const F = DataType.FLOAT;

/**
 * The graph for heads of `headDim`. Inputs `query` and `key` are [layer, head, n, head_dim]: one layer or
 * several, for the same n tokens. Thumbnails pool blocks of ⌈n / thumbnailSize⌉ × ⌈n / thumbnailSize⌉ (the
 * last blocks padded with zeros), so they have at most `thumbnailSize` tiles a side and a sharp one-key
 * stripe stays visible.
 */
export function buildPatternGraph(headDim: number, thumbnailSize: number): Uint8Array {
  const g = new GraphBuilder('glassbox_attention_pattern');
  const query = g.input(PATTERN_INPUTS.query, F, ['layer', 'head', 'n', headDim]);
  const key = g.input(PATTERN_INPUTS.key, F, ['layer', 'head', 'n', headDim]);

  const pattern = causalPattern(g, query, key, PATTERN_OUTPUTS.pattern); // [layer, head, n, n]
  const n = g.op('Shape', [query], { start: 2, end: 3 }); // [1]

  // Blocks of b = ⌈n / size⌉, t = ⌈n / b⌉ tiles a side; the pattern padded with zeros to t·b.
  const size = g.ints([thumbnailSize]);
  const ceilDiv = (a: string, b: string) => g.op('Div', [g.op('Sub', [g.op('Add', [a, b]), g.ints([1])]), b]);
  const block = ceilDiv(n, size);
  const tiles = ceilDiv(n, block);
  const padding = g.op('Sub', [g.op('Mul', [tiles, block]), n]);
  const padded = g.op('Pad', [pattern, g.op('Concat', [g.ints([0, 0, 0, 0, 0, 0]), padding, padding], { axis: 0 })]); // [layer, head, t·b, t·b]
  const blocks = g.op('Concat', [g.ints([0, -1]), tiles, block, tiles, block], { axis: 0 });
  const pool = (x: string) => g.op('ReduceMax', [g.op('Reshape', [x, blocks]), g.ints([3, 5])], { keepdims: 0 }); // [layer, ·, t, t]
  const mean = g.op('ReduceMean', [padded, g.ints([1])], { keepdims: 1 }); // [layer, 1, t·b, t·b]
  g.opN('Concat', [pool(padded), pool(mean)], [PATTERN_OUTPUTS.thumbnails], { axis: 1 });

  g.output(PATTERN_OUTPUTS.pattern, F, ['layer', 'head', 'n', 'n']);
  g.output(PATTERN_OUTPUTS.thumbnails, F, ['layer', 'thumbnail', 'tiles', 'tiles']);
  return encodeModel(g.graph(), OPSET, 'glassbox');
}

/**
 * softmax(q · kᵀ + causal mask) over keys, for `query` and `key` [layer | 1, head, n, head_dim] as the model
 * graph returns them: [layer | 1, head, n, n], exactly 0 above the diagonal; named `name` when given.
 */
export function causalPattern(g: GraphBuilder, query: string, key: string, name = g.fresh('pattern')): string {
  // The model graph's attention scores; the mask is added rather than selected with a broadcast Where, which
  // took longer than the MatMul. Masked scores come out exactly 0 either way.
  // The model graph's queries come already multiplied by their layer's attention scale (hooked-graph.ts).
  const scores = g.op('MatMul', [query, g.op('Transpose', [key], { perm: [0, 1, 3, 2] })]); // [layer, head, n, n]
  const n = g.op('Shape', [query], { start: 2, end: 3 }); // [1]
  const positions = g.op('Range', [g.scalarInt(0), g.op('Squeeze', [n, g.ints([0])]), g.scalarInt(1)]);
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [positions, g.ints([0])]), g.op('Unsqueeze', [positions, g.ints([1])])]); // [query, key]
  const maskBias = g.op('Where', [causal, g.scalarFloat(0), g.scalarFloat(MASKED_SCORE)]); // [query, key]
  return g.opN('Softmax', [g.op('Add', [scores, maskBias])], [name], { axis: -1 })[0]; // [layer, head, n, n]
}
