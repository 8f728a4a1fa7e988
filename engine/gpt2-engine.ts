// The engine: one GPT-2 loaded through transformers.js on onnxruntime-node, inspected through its hook
// outputs and generating through transformers.js's own generate() with a KV cache.

import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
  LogitsProcessor,
  LogitsProcessorList,
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
import { spliceInspection } from './inspection-merge';
import { NucleusFilter } from './nucleus-filter';
import { readInspection, readResiduals } from './inspection-outputs';
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
  /** false runs every position even when the last inspection shares a prefix (the benchmark's full runs). */
  readonly reusePrefix?: boolean;
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
  /**
   * The model's probability for this token where it chose it: the softmax of the raw logits, before any
   * temperature, so the same number an inspection of the prompt and the tokens before it reports as `next.prob`.
   */
  readonly prob: number;
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

/** The last inspection, with the keys and values of its tokens for the next one to continue from. */
interface LastInspection {
  readonly ids: readonly number[];
  readonly topK: number;
  readonly targetId: number | null;
  readonly residuals: boolean;
  readonly inspection: Inspection;
  readonly present: Readonly<Record<string, Tensor>>;
  readonly reusedTokens: number;
}

interface SessionLike {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches?: readonly string[]): Promise<Record<string, unknown>>;
}

/**
 * With the hooks off, the If's 22 hook outputs are empty, but onnxruntime-node and transformers.js still wrap
 * each of them on every decoding step (measured: decode at 0.88× a graph without them). The session is asked
 * for logits and the KV cache only, which is all transformers.js reads in that case.
 */
function fetchOnlyWhatRuns(model: PreTrainedModel): void {
  const session = (model as unknown as { sessions: Record<string, SessionLike> }).sessions.model;
  if (!session.outputNames.some((name) => name.startsWith('logit_lens.'))) return; // the plain graph
  const plain = session.outputNames.filter((name) => name === 'logits' || name.startsWith('present.'));
  const run = session.run.bind(session);
  session.run = (feeds, fetches) => {
    const hooks = feeds[HOOKS_INPUT] as { data?: ArrayLike<number | boolean> } | undefined;
    const hooksOn = hooks?.data ? Boolean(hooks.data[0]) : true;
    return run(feeds, fetches ?? (hooksOn ? undefined : plain));
  };
}

/** The graph's `present.*` outputs renamed as the `past_key_values.*` inputs they feed. */
function presentOf(outputs: Record<string, Tensor>): Record<string, Tensor> {
  const present: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith('present.')) present[name.replace('present.', 'past_key_values.')] = tensor;
  return present;
}

/** A cache of the first `length` tokens of `entries` ([batch, head, token, head_dim] each). */
function sliceCache(entries: Readonly<Record<string, Tensor>>, length: number): DynamicCache {
  const sliced: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(entries)) sliced[name] = tensor.slice(null, null, [0, length], null);
  return new DynamicCache(sliced);
}

export const DEFAULT_TOP_K = 10;
const MAX_TOP_K = 100;
const END_OF_TEXT_ID = 50256;

export class Gpt2Engine {
  private readonly vocab: string[];
  private lastCache: KvCache | null = null;
  private lastInspection: LastInspection | null = null;

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
    fetchOnlyWhatRuns(model);
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

  /**
   * Tokens for exactly these ids, with the UTF-16 range of `text` each covers: for text the model wrote after
   * a prompt, which tokenizing the joined text again may split differently where the two meet.
   */
  tokensOf(text: string, ids: readonly number[]): Token[] {
    const outside = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < this.summary.vocabSize && this.vocab[id] !== undefined));
    if (outside !== undefined) throw new GlassboxError('bad-request', `Token id ${outside} is outside the vocabulary.`);
    try {
      return toTokens(text, ids, ids.map((id) => this.vocab[id]));
    } catch (error) {
      throw new GlassboxError('bad-request', `The token ids do not spell the text: ${firstLine(error)}`);
    }
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
    const residuals = options.residuals ?? false;
    const last = this.lastInspection;
    this.lastInspection = null;
    // Positions before the first changed token cannot change; the last kept one runs again, because the
    // probability of the token after it needs its logits.
    let kept = 0;
    if (last && options.reusePrefix !== false && last.topK === topK && last.targetId === targetId && last.residuals === residuals) {
      while (kept < last.ids.length && kept < ids.length && last.ids[kept] === ids[kept]) kept++;
      kept = Math.min(kept - 1, ids.length - 1);
    }
    const reuse = last !== null && kept >= MIN_REUSED_TOKENS;
    const start = reuse ? kept : 0;
    const past = reuse ? sliceCache(last.present, kept) : undefined;
    const outputs = await this.run(ids.slice(start), { hooks: true, topK, targetId: targetId ?? -1 }, past, ids.length);
    const read = readInspection(outputs, {
      summary: this.summary,
      backend: this.backend,
      tokens: tokens.slice(start),
      topK,
      targetId,
      pieceText: (id) => this.tokenText(id),
      keys: ids.length,
    });
    const tail = residuals ? { ...read, residuals: readResiduals(outputs, this.summary.nLayer) } : read;
    const inspection = reuse ? spliceInspection(last.inspection, tail, kept, tokens) : tail;
    this.lastInspection = { ids, topK, targetId, residuals, inspection, present: presentOf(outputs), reusedTokens: start };
    return inspection;
  }

  /** Positions the last inspection took from the one before instead of running them (0 = a full run). */
  get lastReusedTokens(): number {
    return this.lastInspection?.reusedTokens ?? 0;
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
    return this.generateTokens(this.checkedTokens(text), options);
  }

  /** Continues already tokenized text (the model process keeps the tokens for its answer). */
  async generateTokens(prompt: readonly Token[], options: GenerateOptions): Promise<Generation> {
    const started = performance.now();
    this.checkLength(prompt.length);
    const room = this.summary.nCtx - prompt.length;
    const maxNewTokens = Math.min(options.maxNewTokens, room);
    if (maxNewTokens <= 0) return { promptTokens: prompt.length, tokens: [], text: '', stop: 'context-full', seconds: 0, reusedTokens: 0 };

    const generated: GeneratedToken[] = [];
    const temperature = options.temperature ?? 0;
    const distribution = new StepDistribution(temperature > 0 ? temperature : 1);
    let stop: Generation['stop'] = maxNewTokens < options.maxNewTokens ? 'context-full' : 'max-tokens';
    const stopping = new GenerationStop(prompt.length, (id) => {
      const token = { id, text: this.tokenText(id), prob: distribution.prob(id) };
      generated.push(token);
      options.onToken?.(token);
      if (id === END_OF_TEXT_ID) return (stop = 'end-of-text'), true;
      if (options.stopAtNewline && token.text.includes('\n')) return (stop = 'newline'), true;
      if (options.signal?.aborted) return (stop = 'cancelled'), true;
      return false;
    });
    if (options.signal?.aborted) return { promptTokens: prompt.length, tokens: [], text: '', stop: 'cancelled', seconds: 0, reusedTokens: 0 };

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
      // Top-k and top-p are ours (NucleusFilter); the sampler then draws from what survives.
      ...(temperature > 0 ? { temperature, top_k: 0 } : {}),
      logits_processor: temperature > 0 ? processorList(distribution, new NucleusFilter(options.topK ?? 0, options.topP ?? 1)) : processorList(distribution),
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
    return { cache: sliceCache(last.cache as unknown as Record<string, Tensor>, shared), reused: shared };
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

  /**
   * One forward over `ids`, continuing `past` (keys and values of the tokens before them) when given, through
   * transformers.js so its feeds are the generation feeds.
   */
  private async run(ids: readonly number[], controls: { hooks: boolean; topK: number; targetId: number }, past?: DynamicCache, total = ids.length): Promise<Record<string, Tensor>> {
    const outputs = (await this.model.forward({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      ...(past ? { past_key_values: past } : {}),
      ...this.hookControls(controls),
    })) as Record<string, Tensor>;
    return outputs;
  }
}

/**
 * The model's distribution at the current generation step, read where transformers.js hands the logits to
 * processors (it has no `output_scores`). Custom processors run after its own, and when sampling those
 * include TemperatureLogitsWarper, which divides the logits in place; `temperature` undoes that, so this is
 * always the model's own softmax. The stopping criteria run after the step's token is chosen and before the
 * next step, which is when `prob` is asked for.
 */
class StepDistribution extends LogitsProcessor {
  private logits: Float32Array = new Float32Array(0);
  private logSumExp = 0;

  constructor(private readonly temperature: number) {
    super();
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const data = logits.data as Float32Array; // [batch = 1, vocab]
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) max = Math.max(max, data[i] * this.temperature);
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += Math.exp(data[i] * this.temperature - max);
    // Kept by reference: nothing changes these logits after the last processor, and they are read this step.
    this.logits = data;
    this.logSumExp = max + Math.log(sum);
    return logits;
  }

  prob(id: number): number {
    return id < this.logits.length ? Math.exp(this.logits[id] * this.temperature - this.logSumExp) : Number.NaN;
  }
}

function processorList(...processors: LogitsProcessor[]): LogitsProcessorList {
  const list = new LogitsProcessorList();
  list.extend(processors);
  return list;
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
