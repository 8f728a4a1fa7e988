// The engine: one GPT-2 loaded through transformers.js on onnxruntime-node, inspected through its hook
// outputs and generating through transformers.js's own generate() with a KV cache.

import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
  StoppingCriteria,
  Tensor,
  env,
  random,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { GlassboxError } from '../protocol/errors';
import type { Backend, Inspection, ModelSummary, Token } from '../protocol/inspection';
import type { Float32Tensor } from '../protocol/tensor';
import { HOOKS_INPUT, TARGET_INPUT, TOP_K_INPUT } from './hooked-graph';
import { readInspection, readResiduals, type HookOutputs } from './inspection-outputs';
import { prepareModel, type PreparedModel } from './prepared-model';
import { tokenBytes, tokenText, toTokens } from './token-offsets';
import { webgpuUnavailableReason } from './webgpu-probe';

export type DeviceChoice = 'auto' | Backend;

export interface LoadOptions {
  readonly modelDir: string;
  /** Where derived graphs are kept (never inside the model folder). */
  readonly cacheDir: string;
  readonly device?: DeviceChoice;
  /** Shown in summaries instead of the folder, e.g. the Hub id. */
  readonly name?: string;
  readonly log?: (message: string) => void;
  /** false loads the same weights without hook outputs: the benchmark's baseline. */
  readonly withHooks?: boolean;
}

export interface InspectOptions {
  readonly topK?: number;
  /** Token id whose probability and rank the lens reports at every point. */
  readonly targetId?: number | null;
  /** Also return the residual stream at every point (d_model floats per point and position). */
  readonly residuals?: boolean;
}

export interface GenerateOptions {
  readonly maxNewTokens: number;
  /** 0 (the default) is greedy. */
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly seed?: number;
  /** Checked between tokens: generation stops at the next token boundary once aborted. */
  readonly signal?: AbortSignal;
  /** Stop after a generated token that contains a newline. */
  readonly stopAtNewline?: boolean;
  readonly onToken?: (token: GeneratedToken) => void;
}

export interface GeneratedToken {
  readonly id: number;
  readonly text: string;
}

export interface Generation {
  readonly promptTokens: number;
  readonly tokens: readonly GeneratedToken[];
  readonly text: string;
  /** Why it ended. */
  readonly stop: 'max-tokens' | 'newline' | 'end-of-text' | 'cancelled' | 'context-full';
  readonly seconds: number;
  /** Prompt tokens whose keys and values came from the previous generation's cache instead of a new run. */
  readonly reusedTokens: number;
}

/** The KV cache a generation left behind, and the tokens it covers. */
interface KvCache {
  readonly ids: readonly number[];
  readonly cache: DynamicCache;
}

/** Reusing fewer tokens than this saves less than slicing the cache costs. */
const MIN_REUSED_TOKENS = 8;

export const DEFAULT_TOP_K = 10;
const MAX_TOP_K = 100;
const END_OF_TEXT_ID = 50256;

export class Gpt2Engine {
  private readonly vocab: string[];
  private lastCache: KvCache | null = null;

  private constructor(
    readonly prepared: PreparedModel,
    readonly backend: Backend,
    private readonly model: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
  ) {
    // id → byte-level vocabulary entry, for token texts and offsets without re-running the tokenizer.
    this.vocab = [];
    for (const [entry, id] of tokenizer.get_vocab()) this.vocab[id] = entry;
    // The hook controls are required graph inputs; listing them here makes generate() pass them every step.
    model.forward_params.push(HOOKS_INPUT, TOP_K_INPUT, TARGET_INPUT);
  }

  static async load(options: LoadOptions): Promise<Gpt2Engine> {
    const log = options.log ?? (() => {});
    const prepared = prepareModel(options.modelDir, options.cacheDir, options.name, options.withHooks ?? true);
    log(`Graph for ${prepared.summary.name}: ${prepared.runDir} (weights: ${prepared.weightsPlacement}).`);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(prepared.runDir);
    const id = basename(prepared.runDir);
    let tokenizer: PreTrainedTokenizer;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(id);
    } catch (error) {
      throw new GlassboxError('model-corrupt', `The tokenizer files of ${prepared.sourceDir} could not be read: ${firstLine(error)}`);
    }
    const devices: Backend[] = options.device === 'cpu' ? ['cpu'] : options.device === 'webgpu' ? ['webgpu'] : ['webgpu', 'cpu'];
    const noWebgpu = webgpuUnavailableReason();
    if (noWebgpu && devices[0] === 'webgpu') {
      if (options.device === 'webgpu') throw new GlassboxError('model-unsupported', `WebGPU is unavailable here: ${noWebgpu}. Set the device to auto or cpu.`);
      devices.shift();
      log(`WebGPU unavailable: ${noWebgpu}; using the CPU.`);
    }
    let lastError: unknown;
    for (const device of devices) {
      try {
        const model = await AutoModelForCausalLM.from_pretrained(id, {
          device,
          dtype: 'fp32',
          // Warnings about graph inputs are expected and would only fill the user's log.
          session_options: { logSeverityLevel: 3 },
        });
        log(`Model ready on ${device === 'cpu' ? 'CPU' : 'WebGPU'}.`);
        return new Gpt2Engine(prepared, device, model, tokenizer);
      } catch (error) {
        lastError = error;
        log(`${device === 'cpu' ? 'CPU' : 'WebGPU'} unavailable: ${firstLine(error)}`);
      }
    }
    throw new GlassboxError('model-corrupt', `The model could not be loaded: ${firstLine(lastError)}`);
  }

  get summary(): ModelSummary {
    return this.prepared.summary;
  }

  get randomWeights(): boolean {
    return this.prepared.randomWeights;
  }

  /** Tokens of `text` with the UTF-16 range each covers. */
  tokenize(text: string): Token[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    return toTokens(text, ids, ids.map((id) => this.vocab[id]));
  }

  /** What one token id reads as on its own. */
  tokenText(id: number): string {
    const entry = this.vocab[id];
    return entry === undefined ? '' : tokenText(tokenBytes(entry));
  }

  async inspect(text: string, options: InspectOptions = {}): Promise<Inspection> {
    return this.inspectTokens(this.checkedTokens(text), options);
  }

  async inspectTokens(tokens: readonly Token[], options: InspectOptions = {}): Promise<Inspection> {
    const topK = options.topK ?? DEFAULT_TOP_K;
    if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
      throw new GlassboxError('bad-request', `top-k must be a whole number from 1 to ${MAX_TOP_K}, got ${topK}.`);
    }
    const targetId = options.targetId ?? null;
    if (targetId !== null && !(Number.isInteger(targetId) && targetId >= 0 && targetId < this.summary.vocabSize)) {
      throw new GlassboxError('bad-request', `Target token id ${targetId} is outside the vocabulary.`);
    }
    this.checkLength(tokens.length);
    const ids = tokens.map((t) => t.id);
    const outputs = await this.run(ids, { hooks: true, topK, targetId: targetId ?? -1 });
    const inspection = readInspection(outputs, {
      summary: this.summary,
      backend: this.backend,
      tokens,
      topK,
      targetId,
      pieceText: (id) => this.tokenText(id),
    });
    return options.residuals ? { ...inspection, residuals: readResiduals(outputs, this.summary.nLayer) } : inspection;
  }

  /** A plain forward (no hooks): the logits at every position, [position, vocab]. */
  async logits(tokens: readonly Token[]): Promise<Float32Tensor> {
    this.checkLength(tokens.length);
    const outputs = await this.run(tokens.map((t) => t.id), { hooks: false, topK: 1, targetId: -1 });
    const logits = outputs.logits;
    return { dims: [tokens.length, this.summary.vocabSize], data: logits.data as Float32Array };
  }

  /** The single token `text` encodes to, for a lens target; a clear error if it is not one token. */
  targetTokenId(text: string): number {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    if (ids.length !== 1) {
      const pieces = ids.map((id) => JSON.stringify(this.tokenText(id))).join(' + ');
      throw new GlassboxError('bad-request', `A target must be a single token; ${JSON.stringify(text)} is ${ids.length} tokens${ids.length ? ` (${pieces})` : ''}. Try it with or without a leading space.`);
    }
    return ids[0];
  }

  async generate(text: string, options: GenerateOptions): Promise<Generation> {
    const started = performance.now();
    const prompt = this.checkedTokens(text);
    const room = this.summary.nCtx - prompt.length;
    const maxNewTokens = Math.min(options.maxNewTokens, room);
    if (maxNewTokens <= 0) return { promptTokens: prompt.length, tokens: [], text: '', stop: 'context-full', seconds: 0, reusedTokens: 0 };

    const generated: GeneratedToken[] = [];
    let stop: Generation['stop'] = maxNewTokens < options.maxNewTokens ? 'context-full' : 'max-tokens';
    const stopping = new GenerationStop(prompt.length, (id) => {
      const token = { id, text: this.tokenText(id) };
      generated.push(token);
      options.onToken?.(token);
      if (id === END_OF_TEXT_ID) return (stop = 'end-of-text'), true;
      if (options.stopAtNewline && token.text.includes('\n')) return (stop = 'newline'), true;
      if (options.signal?.aborted) return (stop = 'cancelled'), true;
      return false;
    });
    if (options.signal?.aborted) return { promptTokens: prompt.length, tokens: [], text: '', stop: 'cancelled', seconds: 0, reusedTokens: 0 };

    const temperature = options.temperature ?? 0;
    if (options.seed !== undefined) random.seed(options.seed);
    const ids = prompt.map((t) => t.id);
    const { cache, reused } = this.cacheFor(ids);
    // Cleared first: if this generation fails half-way its cache holds no coherent state.
    this.lastCache = null;
    await this.model.generate({
      inputs: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      // A cache passed in is filled in place and kept alive, so the next prompt can start from it.
      past_key_values: cache,
      max_new_tokens: maxNewTokens,
      do_sample: temperature > 0,
      ...(temperature > 0 ? { temperature, top_k: options.topK ?? 0, top_p: options.topP ?? 1 } : {}),
      stopping_criteria: [stopping],
      ...this.hookControls({ hooks: false, topK: 1, targetId: -1 }),
    } as Parameters<PreTrainedModel['generate']>[0]);
    // The last sampled token was never fed back, so the cache covers one token less than the sequence.
    const all = [...ids, ...generated.map((t) => t.id)];
    this.lastCache = { ids: all.slice(0, cache.get_seq_length()), cache };
    return {
      promptTokens: prompt.length,
      tokens: generated,
      text: generated.map((t) => t.text).join(''),
      stop,
      seconds: (performance.now() - started) / 1000,
      reusedTokens: reused,
    };
  }

  /**
   * A cache for a prompt: the previous generation's keys and values for the longest shared token prefix
   * (typing on after a completion shares almost all of it), or an empty one. At least one prompt token is
   * always left to run, because generation needs its logits.
   */
  private cacheFor(ids: readonly number[]): { cache: DynamicCache; reused: number } {
    const last = this.lastCache;
    let shared = 0;
    if (last) while (shared < last.ids.length && shared < ids.length - 1 && last.ids[shared] === ids[shared]) shared++;
    if (!last || shared < MIN_REUSED_TOKENS) return { cache: new DynamicCache(), reused: 0 };
    const entries: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(last.cache as unknown as Record<string, Tensor>)) {
      entries[name] = tensor.slice(null, null, [0, shared], null); // [batch, head, shared, head_dim]
    }
    return { cache: new DynamicCache(entries), reused: shared };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  private checkedTokens(text: string): Token[] {
    if (text.length === 0) throw new GlassboxError('text-empty', 'The text is empty: select some text to inspect.');
    const tokens = this.tokenize(text);
    this.checkLength(tokens.length);
    return tokens;
  }

  private checkLength(count: number): void {
    if (count === 0) throw new GlassboxError('text-empty', 'The text is empty: select some text to inspect.');
    if (count > this.summary.nCtx) {
      throw new GlassboxError('text-too-long', `The text is ${count} tokens; ${this.summary.name} reads at most ${this.summary.nCtx}. Select less text.`);
    }
  }

  private hookControls(c: { hooks: boolean; topK: number; targetId: number }): Record<string, Tensor> {
    return {
      [HOOKS_INPUT]: new Tensor('bool', [c.hooks], []),
      [TOP_K_INPUT]: new Tensor('int64', BigInt64Array.from([BigInt(c.topK)]), [1]),
      [TARGET_INPUT]: new Tensor('int64', BigInt64Array.from([BigInt(c.targetId)]), [1]),
    };
  }

  /** One forward over `ids` with no cache, through transformers.js so its feeds are the generation feeds. */
  private async run(ids: readonly number[], controls: { hooks: boolean; topK: number; targetId: number }): Promise<HookOutputs> {
    const n = ids.length;
    const outputs = (await this.model.forward({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      ...this.hookControls(controls),
    })) as Record<string, Tensor>;
    return outputs;
  }
}

/** Sees each generated token once, in order; stopping is decided by the caller's rule. */
class GenerationStop extends StoppingCriteria {
  private seen: number;

  constructor(
    promptLength: number,
    private readonly onToken: (id: number) => boolean,
  ) {
    super();
    this.seen = promptLength;
  }

  override _call(inputIds: number[][]): boolean[] {
    const row = inputIds[0];
    let stop = false;
    while (this.seen < row.length && !stop) stop = this.onToken(Number(row[this.seen++]));
    return [stop];
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
