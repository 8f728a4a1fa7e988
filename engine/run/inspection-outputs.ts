// From the hooked graph's named outputs (batch of one) to the Inspection the protocol ships, all but the
// attention, which the engine rebuilds layer by layer from the queries and keys (attention-patterns.ts).

import type { Backend, Inspection, ModelSummary, Token } from '../../protocol/inspection';
import { residHookNames } from '../../protocol/inspection';
import type { Float32Tensor, Int32Tensor } from '../../protocol/tensor';
import type { TokenPiece } from '../../protocol/token-piece';
import { LENS_OUTPUTS } from '../graph/hooked-graph';

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

export function readInspection(outputs: HookOutputs, c: InspectionContext): LensReading {
  const { nLayer } = c.summary;
  const points = nLayer + 1;
  const n = c.tokens.length;
  const k = Math.min(c.topK, c.summary.vocabSize);
  const get = (name: string): OutputTensor => {
    const t = outputs[name];
    if (!t) throw new Error(`the graph returned no ${name}`);
    return t;
  };

  // next.* cover positions 0 … n-2; the last position has no next token.
  const nextProb = new Float32Array(n).fill(Number.NaN);
  nextProb.set(get(LENS_OUTPUTS.nextProb).data as Float32Array);
  const nextRank = new Int32Array(n).fill(-1);
  nextRank.set(toInt32(get(LENS_OUTPUTS.nextRank)));

  const topIds = toInt32(get(LENS_OUTPUTS.topIds));
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
      hooks: residHookNames(nLayer),
      topIds: { dims: [points, n, k], data: topIds },
      topProbs: float32(get(LENS_OUTPUTS.topProbs), [points, n, k]),
      entropy: float32(get(LENS_OUTPUTS.entropy), [points, n]),
      kl: float32(get(LENS_OUTPUTS.kl), [points, n]),
      target:
        c.targetId === null
          ? null
          : {
              id: c.targetId,
              prob: float32(get(LENS_OUTPUTS.targetProb), [points, n]),
              rank: { dims: [points, n], data: toInt32(get(LENS_OUTPUTS.targetRank)) },
            },
    },
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

function float32(t: OutputTensor, dims: number[]): Float32Tensor {
  // A copy, so the result does not pin onnxruntime's output buffers.
  return { dims, data: Float32Array.from(t.data as Float32Array) };
}

function toInt32(t: OutputTensor): Int32Tensor['data'] {
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}
