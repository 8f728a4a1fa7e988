// The engine: one GPT-2 loaded through transformers.js on onnxruntime-node, inspected through its hook
// outputs and generating on its own KV cache (generation.ts).

import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { GlassboxError } from '../protocol/errors';
import type { Backend, Inspection, ModelSummary, Token } from '../protocol/inspection';
import type { Float32Tensor } from '../protocol/tensor';
import { generate, type GenerateOptions, type Generation } from './generation';
import { Gpt2Session, type OrtSession } from './gpt2-session';
import { spliceInspection } from './inspection-merge';
import { readInspection, readResiduals } from './inspection-outputs';
import { KvCache } from './kv-cache';
import { checkInspectionMemory, systemAvailableMemory } from './memory-budget';
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
  /**
   * Bytes an inspection may use. By default what the system can give plus what this process holds beyond
   * its size when loaded (onnxruntime keeps a finished inspection's buffers for the next one).
   */
  readonly availableMemory?: () => number;
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

/** The last inspection: its result and the keys and values of its tokens, for the next one to continue from. */
interface LastInspection {
  readonly topK: number;
  readonly targetId: number | null;
  readonly residuals: boolean;
  readonly inspection: Inspection;
  readonly cache: KvCache;
  readonly reusedTokens: number;
}

/** Continuing from fewer cached positions than this saves less than splicing costs. */
const MIN_REUSED_POSITIONS = 8;

export const DEFAULT_TOP_K = 10;
const MAX_TOP_K = 100;

export class Gpt2Engine {
  private readonly vocab: string[];
  private readonly session: Gpt2Session;
  /** What the last generation read: the next one continues from its shared prefix. */
  private readonly generationCache: KvCache;
  private lastInspection: LastInspection | null = null;

  private constructor(
    readonly prepared: PreparedModel,
    readonly backend: Backend,
    private readonly model: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly availableMemory: () => number,
  ) {
    // id → byte-level vocabulary entry, for token texts and offsets without re-running the tokenizer.
    this.vocab = [];
    for (const [entry, id] of tokenizer.get_vocab()) this.vocab[id] = entry;
    const { nLayer, nHead, nEmbd, nCtx } = prepared.config;
    const session = (model as unknown as { sessions: { model: OrtSession } }).sessions.model;
    this.session = new Gpt2Session(session, { nLayer, nHead, headDim: nEmbd / nHead, nCtx });
    this.generationCache = new KvCache(this.session.shape);
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
          // Warnings about graph inputs are expected and would only fill the user's log. Memory patterns are
          // planned per input shape, and every prompt has another length: without them a 900-token prompt
          // left the process 0.55 GB smaller and ran no slower (scratch A/B, 2 runs each).
          session_options: { logSeverityLevel: 3, enableMemPattern: false },
        });
        log(`Model ready on ${device === 'cpu' ? 'CPU' : 'WebGPU'}.`);
        const loadedRss = process.memoryUsage().rss;
        const availableMemory = options.availableMemory ?? (() => systemAvailableMemory() + Math.max(0, process.memoryUsage().rss - loadedRss));
        return new Gpt2Engine(prepared, device, model, tokenizer, availableMemory);
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
    const { cache, head, start } = this.continueLastInspection(ids, { topK, targetId, residuals, reusePrefix: options.reusePrefix !== false });
    checkInspectionMemory(this.summary, ids.length - start, ids.length, this.availableMemory());
    const outputs = await this.session.run(ids.slice(start), cache, { hooks: { topK, targetId }, logitsToKeep: 1 });
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
    const inspection = head ? spliceInspection(head, tail, start, tokens) : tail;
    this.lastInspection = { topK, targetId, residuals, inspection, cache, reusedTokens: start };
    return inspection;
  }

  /**
   * Where an inspection starts. Positions before the first changed token cannot change (attention is causal),
   * so with the same settings it continues the last inspection after them; the last shared position runs
   * again, because the probability of the token after it needs its logits. The last inspection's cache
   * buffers serve either way; its result only when spliced onto (dropped here otherwise: at 1,024 tokens its
   * patterns alone are 0.6 GB).
   */
  private continueLastInspection(ids: readonly number[], settings: { topK: number; targetId: number | null; residuals: boolean; reusePrefix: boolean }): { cache: KvCache; head: Inspection | null; start: number } {
    const last = this.lastInspection;
    this.lastInspection = null;
    const same = last !== null && settings.reusePrefix && last.topK === settings.topK && last.targetId === settings.targetId && last.residuals === settings.residuals;
    const kept = same ? Math.min(last.cache.sharedPrefix(ids) - 1, ids.length - 1) : 0;
    const start = same && kept >= MIN_REUSED_POSITIONS ? kept : 0;
    const cache = last?.cache ?? new KvCache(this.session.shape);
    cache.truncate(start);
    return { cache, head: start > 0 && last ? last.inspection : null, start };
  }

  /** Positions the last inspection took from the one before instead of running them (0 = a full run). */
  get lastReusedTokens(): number {
    return this.lastInspection?.reusedTokens ?? 0;
  }

  /** A plain forward (no hooks): the logits at every position, [position, vocab]. */
  async logits(tokens: readonly Token[]): Promise<Float32Tensor> {
    this.checkLength(tokens.length);
    const outputs = await this.session.run(tokens.map((t) => t.id), new KvCache(this.session.shape), { logitsToKeep: 0 });
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
    this.checkLength(prompt.length);
    return generate(this.session, this.generationCache, prompt.map((t) => t.id), options, (id) => this.tokenText(id));
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

}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
