// Refuse what cannot fit before starting it, rather than letting the process be killed half-way: a model
// before loading it, an inspection before running it. fp32 weights are mapped once; the runtime, the KV
// cache and an inspection's activations come on top.

import { statSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';
import { LENS_CHUNK_ROWS } from '../graph/lens-graph';

// Measured on GPT-2 small: resident ≈ weights + 0.55 GiB after load (the earlier-lens session holds its own
// copy of the unembedding, 0.15 GiB here, 0.3 GiB for gpt2-xl); a 1,024-token inspection as the panel asks
// peaks at weights + 1.6 GiB. Every inspection is also checked by checkInspectionMemory.
export const OVERHEAD_BYTES = 1.8 * 2 ** 30;

const gb = (n: number) => (n / 2 ** 30).toFixed(1);

/**
 * Memory the system can give: at least half of it. Free memory alone is too low where the OS counts its file
 * cache as used (macOS reports a few hundred MB free on a quiet machine).
 */
export function systemAvailableMemory(): number {
  return Math.max(freemem(), totalmem() / 2);
}

export function checkMemoryBudget(modelDir: string, available = systemAvailableMemory()): void {
  let weights: number;
  try {
    weights = statSync(join(modelDir, 'model.safetensors')).size;
  } catch {
    return; // a missing file is reported by the loader, with a better message
  }
  const needed = weights + OVERHEAD_BYTES;
  if (needed > available) {
    throw new GlassboxError('model-unsupported', `This model needs about ${gb(needed)} GB of memory and about ${gb(available)} GB is available. Choose a smaller GPT-2 (distilgpt2 or gpt2).`);
  }
}

/** How an inspection's memory grows: with the square of its length, per layer and head. */
export interface InspectionShape {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly vocabSize: number;
}

export interface InspectionSize {
  /** Positions the model runs: fewer than `keys` when it continues a cached prefix. */
  readonly queries: number;
  /** Tokens in all. */
  readonly keys: number;
  /** Layers whose full attention patterns are returned. */
  readonly fullLayers: number;
  /** Layers the pattern graph rebuilds in one run: all of them for a short text, else one. */
  readonly layersPerPatternRun: number;
  /** false for a forward without the logit lens (a pattern asked for after another text was inspected). */
  readonly lens?: boolean;
}

/**
 * Bytes an inspection needs beyond the loaded model at its peak, erring high: one layer's attention
 * temporaries in the model run (three fp32 [head, query, key] tensors) and those of the layers the pattern
 * graph rebuilds in one run (four [head, key, key] each), each returned layer's packed pattern twice
 * (onnxruntime's buffer and the JS copy), the keys, values, queries and residual points (about ten fp32
 * [layer, position, d_model] between onnxruntime's outputs, their JS copies, the cache and the residual points
 * stacked for the earlier lens points' session), one lens chunk's
 * [LENS_CHUNK_ROWS, vocab] working set, and a margin. onnxruntime's arenas keep their peaks, so the two
 * sessions' temporaries add up. GPT-2 small, estimated → measured over the loaded process (npm run bench):
 * 512 tokens with every layer's patterns 0.80 → 0.64 GiB; 1,024 tokens as the panel asks 1.10 → 0.97 GiB,
 * with every layer's 1.61 → 1.31.
 */
export function inspectionBytes(shape: InspectionShape, size: InspectionSize): number {
  const runLayer = shape.nHead * size.queries * size.keys * 4;
  const patternLayer = shape.nHead * size.keys * size.keys * 4;
  const perPosition = 10 * shape.nLayer * size.keys * shape.nEmbd * 4;
  const lens = size.lens === false ? 0 : 5 * LENS_CHUNK_ROWS * shape.vocabSize * 4;
  return 3 * runLayer + 4 * size.layersPerPatternRun * patternLayer + size.fullLayers * patternLayer + perPosition + lens + 0.2 * 2 ** 30;
}

export function checkInspectionMemory(shape: InspectionShape & { readonly name: string }, size: InspectionSize, available: number): void {
  const needed = inspectionBytes(shape, size);
  if (needed > available) {
    throw new GlassboxError(
      'text-too-long',
      `Inspecting ${size.keys} tokens of ${shape.name} needs about ${gb(needed)} GB of memory and about ${gb(available)} GB is free (its attention patterns grow with the square of the length). Select fewer tokens.`,
    );
  }
}
