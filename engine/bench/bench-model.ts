// The model every benchmark runs on: GPT-2-small-shaped (12 layers, 12 heads, d=768, ctx 1024) with random
// weights, made on first use in the cache and never committed. Speed depends on the shapes, not the weights.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../models/cache-dir';
import { makeModel } from '../models/make-model';

export function benchModelDir(override?: string): string {
  const modelDir = override ?? join(defaultCacheDir(), 'models', 'gpt2-small-shaped-random-s0');
  if (!existsSync(join(modelDir, 'config.json'))) {
    console.error(`generating a GPT-2-small-shaped model in ${modelDir} …`);
    makeModel(modelDir, { nLayer: 12, nHead: 12, nEmbd: 768, nCtx: 1024, seed: 0 });
  }
  return modelDir;
}
