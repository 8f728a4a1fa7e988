// The model `npm start` opens when the Hugging Face Hub cannot be reached: the demo GPT-2 that ships in
// demo-model/, trained by this project on the Brown corpus and some code (demo-model/MODEL_CARD.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoModelDir } from '../engine/models/demo-model';

const HUB = 'https://huggingface.co';
/** What `glassbox.model` says to open the demo model (extension/model-source.ts resolves it). */
export const DEMO_MODEL_SETTING = 'demo';

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

/** What to tell the person who ran `npm start` about the demo model. */
export function demoModelNotice(): string {
  const dir = demoModelDir(join(import.meta.dirname, '..'));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  return [
    'The Hugging Face Hub is not reachable, so Glassbox opens its DEMO MODEL:',
    `  ${dir}: a small GPT-2 (${config.n_layer} layers, ${config.n_head} heads, d_model ${config.n_embd}, context ${config.n_positions}; the real GPT-2 tokenizer)`,
    '  trained by the Glassbox project on the Brown corpus (1960s American English) and some JavaScript. It has',
    '  learned real structure (see demo-model/MODEL_CARD.md) but is far weaker than GPT-2.',
    'For real GPT-2: run `npm start` again when online (GPT-2 is then downloaded once, 0.5 GB, on first use), or',
    '  run "Glassbox: Select Model…" and choose gpt2, or a local folder holding config.json, model.safetensors',
    '  and tokenizer.json.',
  ].join('\n');
}
