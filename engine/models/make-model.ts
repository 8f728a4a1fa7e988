// Writes a random, non-degenerate GPT-2 in exactly the Hub layout of openai-community/gpt2, with the real
// GPT-2 tokenizer. Tests, benchmarks and offline demos run on these; the loading code is the real one.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHubConfig, type Gpt2Config } from './gpt2-config';
import { GENERATED_METADATA_KEY } from './generated-model';
import { expectedGpt2Tensors } from './gpt2-weights';
import { gpt2TokenizerFiles } from './gpt2-tokenizer-files';
import { writeSafetensors, type TensorToWrite } from './safetensors';
import { SeededRandom } from './seeded-random';

type AttentionScaling = 'scaleAttnWeights' | 'scaleAttnByInverseLayerIdx';

export interface MakeModelOptions extends Omit<Gpt2Config, 'vocabSize' | 'layerNormEpsilon' | AttentionScaling>, Partial<Pick<Gpt2Config, AttentionScaling>> {
  readonly seed: number;
}

const GPT2_VOCAB_SIZE = 50257;

export function makeModel(out: string, options: MakeModelOptions): Gpt2Config {
  const config: Gpt2Config = { scaleAttnWeights: true, scaleAttnByInverseLayerIdx: false, ...options, vocabSize: GPT2_VOCAB_SIZE, layerNormEpsilon: 1e-5 };
  const random = new SeededRandom(options.seed);
  // Scales chosen so attention patterns and lens distributions are far from uniform: weights ~ 1/sqrt(fan_in)
  // keep activations near unit scale at any width, layer-norm gains scatter around 1.
  const draw = (name: string, shape: number[]): Float32Array => {
    const data = new Float32Array(shape.reduce((n, v) => n * v, 1));
    const kind = name.split('.').at(-1);
    const isNorm = name.includes('ln_');
    const fanIn = shape.length === 2 ? shape[0] : 1;
    for (let i = 0; i < data.length; i++) {
      const n = random.normal();
      if (isNorm) data[i] = kind === 'weight' ? 1 + 0.1 * n : 0.05 * n;
      else if (kind === 'bias') data[i] = 0.02 * n;
      else if (name === 'wte.weight') data[i] = (2 / Math.sqrt(config.nEmbd)) * n;
      else if (name === 'wpe.weight') data[i] = 0.5 * n;
      else data[i] = n / Math.sqrt(fanIn);
    }
    return data;
  };
  const tensors: TensorToWrite[] = [...expectedGpt2Tensors(config)].map(([name, shape]) => ({ name, shape, data: draw(name, shape) }));

  mkdirSync(out, { recursive: true });
  writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt', [GENERATED_METADATA_KEY]: `random, seed ${options.seed}` });
  writeFileSync(join(out, 'config.json'), JSON.stringify(toHubConfig(config), null, 2) + '\n');
  writeFileSync(join(out, 'generation_config.json'), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }, null, 2) + '\n');
  for (const [file, text] of Object.entries(gpt2TokenizerFiles())) writeFileSync(join(out, file), text);
  return config;
}
