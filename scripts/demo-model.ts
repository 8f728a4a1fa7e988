// The model `npm start` opens when the Hugging Face Hub cannot be reached: a generated GPT-2 with random
// weights and the real tokenizer, made once into the cache. Every view says its weights are random.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeModel, type MakeModelOptions } from '../engine/make-model';
import { glassboxCacheDir } from './code-server';

export const DEMO_MODEL_SHAPE: MakeModelOptions = { nLayer: 4, nHead: 4, nEmbd: 128, nCtx: 256, seed: 0 };

const HUB = 'https://huggingface.co';

/** Where the demo model lives: `${GLASSBOX_CACHE:-~/.cache/glassbox}/models/demo-gpt2-random`. */
export function demoModelDir(): string {
  return join(glassboxCacheDir(), 'models', 'demo-gpt2-random');
}

/**
 * Whether huggingface.co answers within 3 s: a user-facing check, so that a first start offline does not wait
 * on a download that cannot happen. GLASSBOX_OFFLINE=1 answers no without asking (tests never touch the network).
 */
export async function hubReachable(): Promise<boolean> {
  if (process.env['GLASSBOX_OFFLINE'] === '1') return false;
  return fetch(HUB, { method: 'HEAD', signal: AbortSignal.timeout(3_000) }).then(
    () => true,
    () => false,
  );
}

/** The demo model's folder, generating it first if it is not there (a few seconds, once). */
export function ensureDemoModel(): string {
  const dir = demoModelDir();
  const complete = (): boolean => existsSync(join(dir, 'config.json'));
  if (complete()) return dir;
  mkdirSync(join(dir, '..'), { recursive: true });
  // Made aside and renamed whole, so a folder at `dir` is complete: an interrupted start leaves only a
  // `.building-` folder behind, and of two starts at once the first rename wins.
  const building = mkdtempSync(`${dir}.building-`);
  try {
    makeModel(building, DEMO_MODEL_SHAPE);
    chmodSync(building, 0o755); // mkdtemp's 0700 would outlive the rename
    if (existsSync(dir) && !complete()) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(building, dir);
    } catch (error) {
      if (!complete()) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/** What to tell the person who ran `npm start` about the demo model. */
export function demoModelNotice(dir: string): string {
  const { nLayer, nHead, nEmbd, nCtx } = DEMO_MODEL_SHAPE;
  return [
    'The Hugging Face Hub is not reachable, so Glassbox opens a DEMO MODEL WITH RANDOM WEIGHTS:',
    `  ${dir} (GPT-2 shape: ${nLayer} layers, ${nHead} heads, d_model ${nEmbd}, context ${nCtx}; the real GPT-2 tokenizer).`,
    '  Its views show how the machinery works, not anything GPT-2 learned; its completions are nonsense.',
    'For real GPT-2: run `npm start` again when online (GPT-2 is then downloaded once, 0.5 GB, on first use), or',
    '  run "Glassbox: Select Model…" and choose gpt2, or a local folder holding config.json, model.safetensors,',
    '  tokenizer.json and tokenizer_config.json.',
  ].join('\n');
}
