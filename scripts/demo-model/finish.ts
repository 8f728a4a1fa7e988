// Maintainer tool: the trained weights (train.py's output) made into the shipped model folder, in exactly the
// Hub's layout of openai-community/gpt2: config.json, generation_config.json, model.safetensors, and the real
// GPT-2 tokenizer files as the engine writes them for generated models; with the training record beside them.
//
//   npx tsx scripts/demo-model/finish.ts --trained /tmp/demo-train --corpus /tmp/glassbox-corpus --out demo-model
//
// MODEL_CARD.md is written by hand from evaluate.ts's figures.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHubConfig, type Gpt2Config } from '../../engine/models/gpt2-config';
import { gpt2TokenizerConfigJson, gpt2TokenizerFiles } from '../../engine/models/gpt2-tokenizer-files';

function flag(name: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error('usage: finish.ts --trained DIR --corpus DIR --out DIR');
  return process.argv[i + 1];
}

const trained = flag('--trained');
const corpus = flag('--corpus');
const out = flag('--out');
const record = JSON.parse(readFileSync(join(trained, 'training.json'), 'utf8')) as Record<string, number>;
const config: Gpt2Config = {
  nLayer: record.n_layer,
  nHead: record.n_head,
  nEmbd: record.n_embd,
  nCtx: record.n_positions,
  vocabSize: record.vocab_size,
  layerNormEpsilon: 1e-5,
  scaleAttnWeights: true,
  scaleAttnByInverseLayerIdx: false,
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'config.json'), JSON.stringify(toHubConfig(config), null, 2) + '\n');
writeFileSync(join(out, 'generation_config.json'), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }, null, 2) + '\n');
for (const [file, text] of Object.entries(gpt2TokenizerFiles())) writeFileSync(join(out, file), text);
// The model's own context, not GPT-2's 1,024.
writeFileSync(join(out, 'tokenizer_config.json'), gpt2TokenizerConfigJson(config.nCtx));
for (const file of ['model.safetensors', 'training-log.tsv', 'training.json']) copyFileSync(join(trained, file), join(out, file));
copyFileSync(join(corpus, 'sources.json'), join(out, 'training-data.json'));
console.log(`wrote ${out}`);
