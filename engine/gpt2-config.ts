// GPT-2's config.json as the Hub writes it, reduced to the numbers the graph needs, checked on the way in.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassboxError } from '../protocol/errors';

export interface Gpt2Config {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  /** Context length: n_positions. */
  readonly nCtx: number;
  readonly vocabSize: number;
  readonly layerNormEpsilon: number;
}

/** The numbers of a Hub config.json (`n_layer`, `n_head`, …) as written by `Gpt2Config`. */
export function toHubConfig(config: Gpt2Config): Record<string, unknown> {
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: 50256,
    embd_pdrop: 0.1,
    eos_token_id: 50256,
    initializer_range: 0.02,
    layer_norm_epsilon: config.layerNormEpsilon,
    model_type: 'gpt2',
    n_ctx: config.nCtx,
    n_embd: config.nEmbd,
    n_head: config.nHead,
    n_inner: null,
    n_layer: config.nLayer,
    n_positions: config.nCtx,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0.1,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    summary_activation: null,
    summary_first_dropout: 0.1,
    summary_proj_to_labels: true,
    summary_type: 'cls_index',
    summary_use_proj: true,
    vocab_size: config.vocabSize,
  };
}

export function readGpt2Config(folder: string): Gpt2Config {
  const path = join(folder, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GlassboxError('model-missing', `No config.json in ${folder}: is this a GPT-2 model folder?`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new GlassboxError('model-config', `${path} is not valid JSON.`);
  }
  return parseGpt2Config(raw, path);
}

export function parseGpt2Config(raw: unknown, where: string): Gpt2Config {
  if (typeof raw !== 'object' || raw === null) throw new GlassboxError('model-config', `${where} is not a JSON object.`);
  const c = raw as Record<string, unknown>;
  if (c.model_type !== 'gpt2') {
    throw new GlassboxError('model-config', `${where} has model_type ${JSON.stringify(c.model_type)}; Glassbox runs GPT-2 family models ("gpt2").`);
  }
  const positive = (key: string): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new GlassboxError('model-config', `${where}: "${key}" must be a positive integer, got ${JSON.stringify(v)}.`);
    }
    return v;
  };
  const activation = c.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new') {
    throw new GlassboxError('model-config', `${where}: activation_function ${JSON.stringify(activation)} is not supported (GPT-2 uses "gelu_new").`);
  }
  if (c.n_inner !== undefined && c.n_inner !== null) {
    throw new GlassboxError('model-config', `${where}: n_inner other than 4 × n_embd is not supported.`);
  }
  const config: Gpt2Config = {
    nLayer: positive('n_layer'),
    nHead: positive('n_head'),
    nEmbd: positive('n_embd'),
    nCtx: positive('n_positions'),
    vocabSize: positive('vocab_size'),
    layerNormEpsilon: typeof c.layer_norm_epsilon === 'number' ? c.layer_norm_epsilon : 1e-5,
  };
  if (config.nEmbd % config.nHead !== 0) {
    throw new GlassboxError('model-config', `${where}: n_embd (${config.nEmbd}) must be divisible by n_head (${config.nHead}).`);
  }
  return config;
}
