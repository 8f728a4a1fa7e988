// GPT-2's config.json as the Hub writes it, reduced to the numbers the graph needs, checked on the way in.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';
import { fileLimit, readBoundedFile } from './model-folder';

export interface Gpt2Config {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  /** Context length: n_positions. */
  readonly nCtx: number;
  readonly vocabSize: number;
  readonly layerNormEpsilon: number;
  /** `scale_attn_weights`: divide attention scores by sqrt(head_dim) (GPT-2: true). */
  readonly scaleAttnWeights: boolean;
  /** `scale_attn_by_inverse_layer_idx`: also divide layer l's scores by l + 1 (GPT-2: false). */
  readonly scaleAttnByInverseLayerIdx: boolean;
}

/** What layer `layer`'s attention scores q·k are multiplied by, as GPT2Attention computes them. */
export function attentionScale(config: Gpt2Config, layer: number): number {
  const headDim = config.nEmbd / config.nHead;
  return (config.scaleAttnWeights ? 1 / Math.sqrt(headDim) : 1) / (config.scaleAttnByInverseLayerIdx ? layer + 1 : 1);
}

/**
 * Bounds far above any GPT-2 (gpt2-xl: 48 layers, 25 heads, 1,600 wide, 1,024 positions), checked before
 * anything is sized by them: a config.json claiming a billion layers is refused, not allocated.
 */
const LIMITS = { n_layer: 256, n_head: 1024, n_embd: 65_536, n_positions: 65_536, vocab_size: 1_000_000 } as const;

/**
 * Config fields that change what GPT-2 computes, with the value Glassbox implements. Any other value is
 * refused, naming the field, rather than silently run as if it were not there.
 */
const FIXED_FIELDS: Record<string, { readonly value: unknown; readonly why: string }> = {
  add_cross_attention: { value: false, why: 'cross-attention needs an encoder; Glassbox runs decoder-only GPT-2' },
  tie_word_embeddings: { value: true, why: 'Glassbox unembeds with wte.weight, as GPT-2 does' },
};

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
    scale_attn_by_inverse_layer_idx: config.scaleAttnByInverseLayerIdx,
    scale_attn_weights: config.scaleAttnWeights,
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
    text = readBoundedFile(path, fileLimit('config.json')).toString('utf8');
  } catch (error) {
    if (existsSync(path)) throw error;
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
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GlassboxError('model-config', `${where} is not a JSON object.`);
  const c = raw as Record<string, unknown>;
  if (c.model_type !== 'gpt2') {
    throw new GlassboxError('model-config', `${where} has model_type ${JSON.stringify(c.model_type)}; Glassbox runs GPT-2 family models ("gpt2").`);
  }
  const refuse = (key: string, why: string): never => {
    throw new GlassboxError('model-config', `${where}: "${key}" is ${JSON.stringify(c[key])}; ${why}.`);
  };
  const positive = (key: keyof typeof LIMITS): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) refuse(key, 'it must be a positive integer');
    if ((v as number) > LIMITS[key]) refuse(key, `no GPT-2 has more than ${LIMITS[key]}`);
    return v as number;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'boolean') refuse(key, 'it must be true or false');
    return v as boolean;
  };
  const activation = c.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new') refuse('activation_function', 'Glassbox implements GPT-2\'s "gelu_new" only');
  if (c.n_inner !== undefined && c.n_inner !== null) refuse('n_inner', 'an MLP width other than 4 × n_embd is not supported');
  for (const [key, { value, why }] of Object.entries(FIXED_FIELDS)) {
    if (c[key] !== undefined && c[key] !== value) refuse(key, why);
  }
  const epsilon = c.layer_norm_epsilon ?? 1e-5;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) refuse('layer_norm_epsilon', 'it must be a positive number');
  // Glassbox computes attention in float32 throughout, which is what reorder_and_upcast_attn asks of a model
  // run in half precision: either value gives the same numbers here.
  flag('reorder_and_upcast_attn', false);
  const config: Gpt2Config = {
    nLayer: positive('n_layer'),
    nHead: positive('n_head'),
    nEmbd: positive('n_embd'),
    nCtx: positive('n_positions'),
    vocabSize: positive('vocab_size'),
    layerNormEpsilon: epsilon as number,
    scaleAttnWeights: flag('scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: flag('scale_attn_by_inverse_layer_idx', false),
  };
  if (config.nEmbd % config.nHead !== 0) {
    throw new GlassboxError('model-config', `${where}: n_embd (${config.nEmbd}) must be divisible by n_head (${config.nHead}).`);
  }
  return config;
}
