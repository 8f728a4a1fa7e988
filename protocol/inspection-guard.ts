// The reader of an Inspection: every tensor's dims checked against the token count and the model's shape,
// so a view can index without checking.

import { packedPatternLength, thumbnailTiles, type Inspection, type LensTarget, type ModelSummary, type Token, type TokenReading } from './inspection';
import type { Float32Tensor } from './tensor';
import type { TokenPiece } from './token-piece';
import { array, fail, float32Tensor, int32Tensor, integer, InvalidMessage, nullable, oneOf, record, string, type Reader } from './guards';

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

const byte: Reader<number> = (v, p) => {
  const b = integer(v, p, 0);
  return b <= 255 ? b : fail(p, 'a byte (0 to 255)', v);
};

export const tokenPiece: Reader<TokenPiece> = (v, p) => {
  const f = record(v, p);
  const piece = { id: integer(f.id, `${p}.id`, 0), text: string(f.text, `${p}.text`) };
  return f.bytes === undefined ? piece : { ...piece, bytes: array(byte)(f.bytes, `${p}.bytes`) };
};

export function token(value: unknown, path: string): Token {
  const f = record(value, path);
  const start = integer(f.start, `${path}.start`, 0);
  const end = integer(f.end, `${path}.end`, start);
  return { ...tokenPiece(value, path), start, end };
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
  const topIds = int32Tensor(lens.topIds, `${path}.lens.topIds`, [p, n, dimOf(lens.topIds, `${path}.lens.topIds`, 3, 2)]);
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
      thumbnails: perLayer(float32Dims([h + 1, thumbnailTiles(n), thumbnailTiles(n)]))(attention.thumbnails, `${path}.attention.thumbnails`, l),
      patterns: perLayer(nullable(layerPattern(h, n)))(attention.patterns, `${path}.attention.patterns`, l),
    },
  };
}

export function tokenReading(value: unknown, path: string): TokenReading {
  const f = record(value, path);
  const tokens = array(token)(f.tokens, `${path}.tokens`);
  const n = tokens.length;
  if (n === 0) throw new InvalidMessage(`${path}.tokens: expected at least one token`);
  const next = record(f.next, `${path}.next`);
  const top = record(f.top, `${path}.top`);
  const ids = int32Tensor(top.ids, `${path}.top.ids`, [n, dimOf(top.ids, `${path}.top.ids`, 2, 1)]);
  return {
    model: modelSummary(f.model, `${path}.model`),
    backend: oneOf(['cpu', 'webgpu'] as const)(f.backend, `${path}.backend`),
    tokens,
    pieces: pieces(f.pieces, `${path}.pieces`),
    next: { prob: float32Tensor(next.prob, `${path}.next.prob`, [n]), rank: int32Tensor(next.rank, `${path}.next.rank`, [n]) },
    top: { ids, probs: float32Tensor(top.probs, `${path}.top.probs`, ids.dims) },
    entropy: float32Tensor(f.entropy, `${path}.entropy`, [n]),
  };
}

/** One layer's packed causal rows, [head, n·(n+1)/2]. */
export function layerPattern(heads: number, n: number): Reader<Float32Tensor> {
  return float32Dims([heads, packedPatternLength(n)]);
}

function float32Dims(dims: readonly number[]): Reader<Float32Tensor> {
  return (value, path) => float32Tensor(value, path, dims);
}

/** An array with one entry per layer. */
function perLayer<T>(read: Reader<T>): (value: unknown, path: string, layers: number) => T[] {
  return (value, path, layers) => {
    const entries = array(read)(value, path);
    if (entries.length !== layers) throw new InvalidMessage(`${path}: expected ${layers} layers, got ${entries.length}`);
    return entries;
  };
}

/** Dimension `axis` of a tensor of `rank` dims, read before the tensor itself is checked against it. */
export function dimOf(value: unknown, path: string, rank: number, axis: number): number {
  const dims = record(value, path).dims;
  return Array.isArray(dims) && dims.length === rank ? integer(dims[axis], `${path}.dims[${axis}]`, 1) : fail(`${path}.dims`, `${rank} dims`, dims);
}

function pieces(value: unknown, path: string): Inspection['pieces'] {
  const f = record(value, path);
  const out: Record<number, TokenPiece> = {};
  for (const [key, entry] of Object.entries(f)) {
    if (!/^\d+$/.test(key)) throw new InvalidMessage(`${path}: key ${JSON.stringify(key)} is not a token id`);
    const piece = tokenPiece(entry, `${path}[${key}]`);
    if (piece.id !== Number(key)) throw new InvalidMessage(`${path}[${key}].id: expected ${key}, got ${piece.id}`);
    out[piece.id] = piece;
  }
  return out;
}
