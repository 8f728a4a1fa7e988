// From the hooked graph's named outputs (batch of one) to the Inspection the protocol ships, all but the
// attention, which the engine rebuilds layer by layer from the queries and keys (attention-patterns.ts).

import type { Backend, Inspection, ModelSummary, Token, TokenReading } from '../../protocol/inspection';
import { residHookNames } from '../../protocol/inspection';
import type { Float32Tensor, Int32Tensor } from '../../protocol/tensor';
import type { TokenPiece } from '../../protocol/token-piece';
import { EARLIER_LENS_OUTPUTS } from '../graph/earlier-lens-graph';
import { FINAL_LENS_OUTPUTS } from '../graph/hooked-graph';

export interface OutputTensor {
  readonly data: ArrayLike<number | bigint> & { readonly length: number };
  readonly dims: readonly number[];
}
export type HookOutputs = Readonly<Record<string, OutputTensor>>;

export interface InspectionContext {
  readonly summary: ModelSummary;
  readonly backend: Backend;
  readonly tokens: readonly Token[];
  readonly topK: number;
  readonly targetId: number | null;
  readonly piece: (id: number) => TokenPiece;
}

/** An inspection without its attention. */
export type LensReading = Omit<Inspection, 'attention'>;

/**
 * The lens reading of a forward's outputs (its final point, FINAL_LENS_OUTPUTS) and, when given, the earlier
 * points' (EARLIER_LENS_OUTPUTS): every point in hook order. Without the earlier ones, a reading of the final
 * point alone: what the tokens are painted from while those run.
 */
export function readInspection(forward: HookOutputs, earlier: HookOutputs | null, c: InspectionContext): LensReading {
  const { nLayer } = c.summary;
  const points = earlier ? nLayer + 1 : 1;
  const n = c.tokens.length;
  const k = Math.min(c.topK, c.summary.vocabSize);
  const final = FINAL_LENS_OUTPUTS;
  const lens = EARLIER_LENS_OUTPUTS;
  const get = (outputs: HookOutputs, name: string): OutputTensor => {
    const t = outputs[name];
    if (!t) throw new Error(`the graph returned no ${name}`);
    return t;
  };
  /** The earlier points' values then the final point's, as one [point, position, …] array. */
  const byPoint = <T extends Float32Array | Int32Array>(make: (length: number) => T, earlierName: string, finalValues: ArrayLike<number | bigint>): T => {
    const out = make(points * finalValues.length);
    const offset = out.length - finalValues.length;
    if (earlier) {
      const earlierValues = get(earlier, earlierName).data;
      for (let i = 0; i < offset; i++) out[i] = Number(earlierValues[i]);
    }
    for (let i = 0; i < finalValues.length; i++) out[offset + i] = Number(finalValues[i]);
    return out;
  };
  const floats = (length: number) => new Float32Array(length);
  const ints = (length: number) => new Int32Array(length);

  // next.* cover positions 0 … n-2; the last position has no next token.
  const nextProb = new Float32Array(n).fill(Number.NaN);
  nextProb.set(get(forward, final.nextProb).data as Float32Array);
  const nextRank = new Int32Array(n).fill(-1);
  nextRank.set(toInt32(get(forward, final.nextRank)));

  const topIds = byPoint(ints, lens.topIds, get(forward, final.topIds).data);
  const pieces: Record<number, TokenPiece> = {};
  for (const id of [...c.tokens.map((t) => t.id), ...topIds, ...(c.targetId === null ? [] : [c.targetId])]) {
    pieces[id] ??= c.piece(id);
  }

  return {
    model: c.summary,
    backend: c.backend,
    tokens: c.tokens,
    pieces,
    next: { prob: { dims: [n], data: nextProb }, rank: { dims: [n], data: nextRank } },
    lens: {
      hooks: residHookNames(nLayer).slice(-points),
      topIds: { dims: [points, n, k], data: topIds },
      topProbs: { dims: [points, n, k], data: byPoint(floats, lens.topProbs, get(forward, final.topProbs).data) },
      entropy: { dims: [points, n], data: byPoint(floats, lens.entropy, get(forward, final.entropy).data) },
      // The final point's KL to itself is 0.
      kl: { dims: [points, n], data: byPoint(floats, lens.kl, new Float32Array(n)) },
      target:
        c.targetId === null
          ? null
          : {
              id: c.targetId,
              prob: { dims: [points, n], data: byPoint(floats, lens.targetProb, get(forward, final.targetProb).data) },
              rank: { dims: [points, n], data: byPoint(ints, lens.targetRank, get(forward, final.targetRank).data) },
            },
    },
  };
}

/** `reading` with its final lens point only (what a reading of the forward alone has). */
export function finalPointOf(reading: LensReading): LensReading {
  const { lens } = reading;
  const [points, n] = lens.entropy.dims;
  const last = <T extends Float32Array | Int32Array>(t: { readonly dims: readonly number[]; readonly data: T }): { dims: number[]; data: T } => {
    const width = t.dims.slice(2).reduce((x, y) => x * y, 1);
    return { dims: [1, n, ...t.dims.slice(2)], data: t.data.slice((points - 1) * n * width) as T };
  };
  return {
    ...reading,
    lens: {
      hooks: lens.hooks.slice(-1),
      topIds: last(lens.topIds),
      topProbs: last(lens.topProbs),
      entropy: last(lens.entropy),
      kl: last(lens.kl),
      target: lens.target && { id: lens.target.id, prob: last(lens.target.prob), rank: last(lens.target.rank) },
    },
  };
}

/** The tokens' reading of a reading of the final point alone. */
export function tokenReadingOf(reading: LensReading): TokenReading {
  const { lens } = reading;
  const [, n, k] = lens.topIds.dims;
  return {
    model: reading.model,
    backend: reading.backend,
    tokens: reading.tokens,
    pieces: reading.pieces,
    next: reading.next,
    top: { ids: { dims: [n, k], data: lens.topIds.data }, probs: { dims: [n, k], data: lens.topProbs.data } },
    entropy: { dims: [n], data: lens.entropy.data },
  };
}

/** The residual stream at every point, [point, position, d_model], when a caller asks for it. */
export function readResiduals(outputs: HookOutputs, nLayer: number): Float32Tensor {
  const names = residHookNames(nLayer);
  const first = outputs[names[0]];
  const [, n, d] = first.dims;
  const data = new Float32Array(names.length * n * d);
  names.forEach((name, p) => data.set(outputs[name].data as Float32Array, p * n * d));
  return { dims: [names.length, n, d], data };
}

function toInt32(t: OutputTensor): Int32Tensor['data'] {
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}
