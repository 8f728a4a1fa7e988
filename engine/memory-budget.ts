// Refuse a model that cannot fit before loading it, rather than letting the process be killed half-way.
// fp32 weights are mapped once; the runtime, the KV cache and an inspection's activations come on top.

import { statSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { GlassboxError } from '../protocol/errors';

// Measured on GPT-2 small (npm run bench): resident ≈ weights + 0.42 GiB after load, peaking at ≈ weights +
// 1.5 GiB inspecting 512 tokens and ≈ weights + 3.4 GiB at 1,024 (the patterns grow with the square of the
// length). The budget covers loading and inspections up to about 512 tokens; longer ones may exceed it.
export const OVERHEAD_BYTES = 1.5 * 2 ** 30;

export function checkMemoryBudget(modelDir: string, available = Math.max(freemem(), totalmem() / 2)): void {
  let weights: number;
  try {
    weights = statSync(join(modelDir, 'model.safetensors')).size;
  } catch {
    return; // a missing file is reported by the loader, with a better message
  }
  const needed = weights + OVERHEAD_BYTES;
  if (needed > available) {
    const gb = (n: number) => (n / 2 ** 30).toFixed(1);
    throw new GlassboxError('model-unsupported', `This model needs about ${gb(needed)} GB of memory and about ${gb(available)} GB is available. Choose a smaller GPT-2 (distilgpt2 or gpt2).`);
  }
}
