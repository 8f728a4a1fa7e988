// The reader of an Inspection: every tensor's dims checked against the token count and the model's shape,
// so a view can index without checking.

import { packedPatternLength, type Inspection, type LensTarget, type ModelSummary, type Token } from './inspection';
import type { Float32Tensor } from './tensor';
import { array, fail, float32Tensor, int32Tensor, integer, InvalidMessage, oneOf, record, string } from './guards';

export function modelSummary(value: unknown, path: string): ModelSummary {
  const f = record(value, path);
  const count = (key: string): number => integer(f[key], `${path}.${key}`, 1);
  return {
    name: string(f.name, `${path}.name`),
    nLayer: count('nLayer'),
    nHead: count('nHead'),
    nEmbd: count('nEmbd'),
    nCtx: count('nCtx'),
    vocabSize: count('vocabSize'),
  };
}

export function token(value: unknown, path: string): Token {
  const f = record(value, path);
  const start = integer(f.start, `${path}.start`, 0);
  const end = integer(f.end, `${path}.end`, start);
  return { id: integer(f.id, `${path}.id`, 0), text: string(f.text, `${path}.text`), start, end };
}

function stringsOfLength(value: unknown, path: string, length: number): string[] {
  const strings = array(string)(value, path);
  if (strings.length !== length) throw new InvalidMessage(`${path}: expected ${length} names, got ${strings.length}`);
  return strings;
}

export function lensTarget(value: unknown, path: string, points: number, positions: number): LensTarget {
  const f = record(value, path);
  return {
    id: integer(f.id, `${path}.id`, 0),
    prob: float32Tensor(f.prob, `${path}.prob`, [points, positions]),
    rank: int32Tensor(f.rank, `${path}.rank`, [points, positions]),
  };
}

export function inspection(value: unknown, path: string): Inspection {
  const f = record(value, path);
  const model = modelSummary(f.model, `${path}.model`);
  const tokens = array(token)(f.tokens, `${path}.tokens`);
  const n = tokens.length;
  if (n === 0) throw new InvalidMessage(`${path}.tokens: expected at least one token`);

  const next = record(f.next, `${path}.next`);
  const lens = record(f.lens, `${path}.lens`);
  const hooks = array(string)(lens.hooks, `${path}.lens.hooks`);
  const p = hooks.length;
  const topIds = int32Tensor(lens.topIds, `${path}.lens.topIds`, [p, n, topK(lens.topIds, `${path}.lens.topIds`)]);
  const attention = record(f.attention, `${path}.attention`);
  const { nLayer: l, nHead: h } = model;
  return {
    model,
    backend: oneOf(['cpu', 'webgpu'] as const)(f.backend, `${path}.backend`),
    tokens,
    pieces: pieces(f.pieces, `${path}.pieces`),
    next: {
      prob: float32Tensor(next.prob, `${path}.next.prob`, [n]),
      rank: int32Tensor(next.rank, `${path}.next.rank`, [n]),
    },
    lens: {
      hooks,
      topIds,
      topProbs: float32Tensor(lens.topProbs, `${path}.lens.topProbs`, topIds.dims),
      entropy: float32Tensor(lens.entropy, `${path}.lens.entropy`, [p, n]),
      kl: float32Tensor(lens.kl, `${path}.lens.kl`, [p, n]),
      target: lens.target == null ? null : lensTarget(lens.target, `${path}.lens.target`, p, n),
    },
    attention: {
      hooks: stringsOfLength(attention.hooks, `${path}.attention.hooks`, l),
      patterns: layerPatterns(attention.patterns, `${path}.attention.patterns`, l, h, n),
    },
  };
}

/** One [head, packed causal rows] tensor for each of `layers` layers. */
function layerPatterns(value: unknown, path: string, layers: number, heads: number, n: number): Float32Tensor[] {
  const patterns = array((layer, at) => float32Tensor(layer, at, [heads, packedPatternLength(n)]))(value, path);
  if (patterns.length !== layers) throw new InvalidMessage(`${path}: expected ${layers} layers, got ${patterns.length}`);
  return patterns;
}

/** The k of a `[point, position, k]` tensor, read before the tensor itself is checked. */
function topK(value: unknown, path: string): number {
  const dims = record(value, path).dims;
  return Array.isArray(dims) && dims.length === 3 ? integer(dims[2], `${path}.dims[2]`, 1) : fail(`${path}.dims`, 'three dims', dims);
}

function pieces(value: unknown, path: string): Inspection['pieces'] {
  const f = record(value, path);
  const out: Record<number, string> = {};
  for (const [key, text] of Object.entries(f)) {
    if (!/^\d+$/.test(key)) throw new InvalidMessage(`${path}: key ${JSON.stringify(key)} is not a token id`);
    out[Number(key)] = string(text, `${path}[${key}]`);
  }
  return out;
}
