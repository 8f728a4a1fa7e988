// Small generated GPT-2s for the engine tests, made once per shape and seed and kept in the OS temp folder
// (same seed, same bytes, so a cached copy is as good as a new one).

import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type MakeModelOptions } from '../../engine/models/make-model';
import { readGpt2Config } from '../../engine/models/gpt2-config';
import { readFloat32Tensor, readSafetensorsIndex } from '../../engine/models/safetensors';
import type { ReferenceConfig, ReferenceWeights } from './reference-gpt2';

export const TEST_ROOT = join(tmpdir(), 'glassbox-test');

export const SHAPES = {
  small: { nLayer: 2, nHead: 4, nEmbd: 32, nCtx: 64, seed: 1 },
  deep: { nLayer: 4, nHead: 2, nEmbd: 16, nCtx: 32, seed: 2 },
  wide: { nLayer: 1, nHead: 8, nEmbd: 64, nCtx: 48, seed: 3 },
  // Long enough that the lens runs in several chunks of 256 rows with padding, for the final point's
  // positions (~275 > 256) as well as for the earlier points' rows (3 × ~275).
  long: { nLayer: 3, nHead: 2, nEmbd: 16, nCtx: 320, seed: 4 },
} as const satisfies Record<string, MakeModelOptions>;

export function generatedModel(options: MakeModelOptions): string {
  const dir = join(TEST_ROOT, 'models', `l${options.nLayer}-h${options.nHead}-d${options.nEmbd}-c${options.nCtx}-s${options.seed}`);
  if (!existsSync(join(dir, 'config.json'))) {
    // Written aside and renamed: test files run in parallel processes and may race for the same model.
    mkdirSync(join(TEST_ROOT, 'models'), { recursive: true });
    const building = mkdtempSync(`${dir}.building-`);
    makeModel(building, options);
    try {
      renameSync(building, dir);
    } catch {
      rmSync(building, { recursive: true, force: true });
    }
  }
  return dir;
}

/** The reference implementation's view of a generated model: its config and its weights by Hub name. */
export function referenceModel(dir: string): { config: ReferenceConfig; weights: ReferenceWeights } {
  const index = readSafetensorsIndex(join(dir, 'model.safetensors'));
  const cache = new Map<string, Float32Array>();
  const weights: ReferenceWeights = (name) => {
    let data = cache.get(name);
    if (!data) cache.set(name, (data = readFloat32Tensor(index, name)));
    return data;
  };
  return { config: readGpt2Config(dir), weights };
}

export function testCacheDir(): string {
  return join(TEST_ROOT, 'cache');
}
