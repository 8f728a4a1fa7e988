// Where each GPT-2 weight lives in model.safetensors, by its Hub name, checked against the config.

import { GlassboxError } from '../../protocol/errors';
import type { Gpt2Config } from './gpt2-config';
import type { SafetensorsIndex, TensorEntry } from './safetensors';

export type Gpt2Weights = ReadonlyMap<string, TensorEntry>;

/** Every tensor GPT2LMHeadModel needs, with its shape; the head is tied to `wte.weight`. */
export function expectedGpt2Tensors(config: Gpt2Config): Map<string, number[]> {
  const { nLayer, nEmbd: d, nCtx, vocabSize } = config;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [vocabSize, d]],
    ['wpe.weight', [nCtx, d]],
    ['ln_f.weight', [d]],
    ['ln_f.bias', [d]],
  ]);
  for (let l = 0; l < nLayer; l++) {
    const h = `h.${l}`;
    // Conv1D weights are stored [in, out], so the graph multiplies x @ W without a transpose.
    shapes.set(`${h}.ln_1.weight`, [d]);
    shapes.set(`${h}.ln_1.bias`, [d]);
    shapes.set(`${h}.attn.c_attn.weight`, [d, 3 * d]);
    shapes.set(`${h}.attn.c_attn.bias`, [3 * d]);
    shapes.set(`${h}.attn.c_proj.weight`, [d, d]);
    shapes.set(`${h}.attn.c_proj.bias`, [d]);
    shapes.set(`${h}.ln_2.weight`, [d]);
    shapes.set(`${h}.ln_2.bias`, [d]);
    shapes.set(`${h}.mlp.c_fc.weight`, [d, 4 * d]);
    shapes.set(`${h}.mlp.c_fc.bias`, [4 * d]);
    shapes.set(`${h}.mlp.c_proj.weight`, [4 * d, d]);
    shapes.set(`${h}.mlp.c_proj.bias`, [d]);
  }
  return shapes;
}

/** Resolves Hub names (also with the `transformer.` prefix some exports use) and checks dtype and shape. */
export function locateGpt2Weights(index: SafetensorsIndex, config: Gpt2Config): Gpt2Weights {
  const located = new Map<string, TensorEntry>();
  for (const [name, shape] of expectedGpt2Tensors(config)) {
    const entry = index.tensors.get(name) ?? index.tensors.get(`transformer.${name}`);
    if (!entry) {
      throw new GlassboxError('model-corrupt', `${index.path} has no tensor "${name}": the weights do not match a GPT-2 with this config.json.`);
    }
    if (entry.dtype !== 'F32') {
      throw new GlassboxError('model-unsupported', `Tensor "${name}" is ${entry.dtype}; Glassbox reads F32 GPT-2 weights.`);
    }
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new GlassboxError('model-corrupt', `Tensor "${name}" has shape [${entry.shape.join(', ')}], config.json implies [${shape.join(', ')}].`);
    }
    located.set(name, entry);
  }
  return located;
}
