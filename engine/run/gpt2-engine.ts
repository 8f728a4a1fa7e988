// The engine: one GPT-2 loaded through transformers.js on onnxruntime-node, inspected through its hook
// outputs and generating on its own KV cache (generation.ts).

import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';
import { ablationKey, isAblating, type AblationSetting, type Steering } from '../../protocol/interventions';
import { packedPatternLength, patternHookNames, type Attention, type Backend, type Inspection, type ModelSummary, type Token, type TokenReading } from '../../protocol/inspection';
import type { Float32Tensor } from '../../protocol/tensor';
import { AttentionPatterns, type LayersAttention } from './attention-patterns';
import { generate, type GenerateOptions, type Generation } from './generation';
import { END_OF_TEXT_ID } from '../models/gpt2-tokenizer-files';
import { headProbe, headScoresOf, type HeadProbe } from '../experiments/head-scores';
import type { HeadScores } from '../../protocol/head-scores';
import { pieceText, type TokenPiece } from '../../protocol/token-piece';
import { Gpt2Session, type OrtSession } from './gpt2-session';
import { spliceInspection } from './inspection-merge';
import { EarlierLens } from './earlier-lens';
import { finalPointOf, readInspection, readResiduals, tokenReadingOf, type LensReading } from './inspection-outputs';
import { KvCache } from './kv-cache';
import { tokenReading, TokenReader } from './token-reading';
import { checkInspectionMemory, systemAvailableMemory } from './memory-budget';
import { EARLIER_LENS_GRAPH_FILE } from '../graph/earlier-lens-graph';
import { INTERVENTION_GRAPH_FILE, prepareModel, type PreparedModel } from '../models/prepared-model';
import { Experiments } from '../experiments/experiments';
import { locateGpt2Weights } from '../models/gpt2-weights';
import { readSafetensorsIndex } from '../models/safetensors';
import { tokenBytes, tokenPiece, tokenText, toTokens } from './token-offsets';
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
  /**
   * Layers whose full attention patterns come with the inspection however long the text; short texts carry
   * every layer's (see carriesEveryLayer), 'all' asks for every layer's at any length.
   */
  readonly patternLayers?: readonly number[] | 'all';
  /** Inspect the model with these units ablated (intervention-graph.ts); none or empty: the model as it is. */
  readonly ablation?: AblationSetting;
  /**
   * Called with the model's own next-token distribution (the final lens point, known after the forward) while
   * the earlier lens points are still to run, when there are enough new positions for that to be worth a
   * message; `seconds` is the forward's time and `secondsLeft` an estimate of the rest, from the last
   * inspection's proportions.
   */
  readonly onTokens?: (reading: TokenReading, timing: { readonly seconds: number; readonly secondsLeft: number }) => void;
}

/** Fewer new positions than this and the whole inspection comes about as soon as its tokens would. */
const TOKENS_FIRST_FROM = 48;

/**
 * The last inspection: its reading and the keys, values and queries of its tokens, for the next one to
 * continue from and for the attention patterns asked for later.
 */
interface LastInspection {
  readonly topK: number;
  readonly targetId: number | null;
  readonly residuals: boolean;
  readonly reading: LensReading;
  readonly cache: KvCache;
  readonly reusedTokens: number;
}

/** Continuing from fewer cached positions than this saves less than splicing costs. */
const MIN_REUSED_POSITIONS = 8;

/** Up to this many tokens an inspection carries every layer's attention patterns (19 MB for GPT-2 small)… */
export const EVERY_PATTERN_UP_TO = 256;
/** …as long as they come to at most this much: gpt2-large and gpt2-xl stop at about 200 tokens. */
const EVERY_PATTERN_BYTES = 64 * 2 ** 20;

export const DEFAULT_TOP_K = 10;
const MAX_TOP_K = 100;

export class Gpt2Engine {
  private readonly vocab: string[];
  /** Ids whose token is text on its own (no piece of a multi-byte character), for probes; made when first asked. */
  private wholeTokens: number[] | undefined;
  private readonly session: Gpt2Session;
  /** What the last generation read: the next one continues from its shared prefix. */
  private readonly generationCache: KvCache;
  /** What the last token reading ran (readTokens): the next continues from where the texts part. */
  private readonly tokenReader: TokenReader;
  private lastInspection: LastInspection | null = null;
  /** The last inspection's earlier lens points ÷ its forward, in time (2 before any: about so for GPT-2 small). */
  private lensToForward = 2;
  /**
   * Queries and keys of a text other than the last inspection's: the one inspected before it (the panel may
   * still show it after a hover inspected a line), or one whose patterns had to be recomputed.
   */
  private patternSource: KvCache | null = null;
  /** Queries and keys of the last ablated inspection or pattern, by its ablation (ablationKey) and tokens. */
  private ablatedSource: { readonly key: string; readonly cache: KvCache } | null = null;
  /** The last steering's vector (generateSteeredTokens), by the steering it was made for. */
  private steeringVector: { readonly key: string; readonly vector: Float32Array } | null = null;
  /** The intervention graph's session, loaded by the first experiment. */
  private experimentsLoading: Promise<Experiments> | null = null;
  private patternRanModel = false;

  private constructor(
    readonly prepared: PreparedModel,
    readonly backend: Backend,
    private readonly model: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly patterns: AttentionPatterns,
    /** The lens at the earlier residual points; none for a graph built without hooks (the benchmark's). */
    private readonly earlierLens: EarlierLens | null,
    private readonly availableMemory: () => number,
  ) {
    // id → byte-level vocabulary entry, for token texts and offsets without re-running the tokenizer.
    this.vocab = [];
    for (const [entry, id] of tokenizer.get_vocab()) this.vocab[id] = entry;
    const { nLayer, nHead, nEmbd, nCtx } = prepared.config;
    const session = (model as unknown as { sessions: { model: OrtSession } }).sessions.model;
    this.session = new Gpt2Session(session, { nLayer, nHead, headDim: nEmbd / nHead, nCtx });
    this.generationCache = new KvCache(this.session.shape);
    this.tokenReader = new TokenReader(this.session, prepared.config.vocabSize);
  }

  static async load(options: LoadOptions): Promise<Gpt2Engine> {
    const log = options.log ?? (() => {});
    const prepared = prepareModel(options.modelDir, options.cacheDir, options.name, options.withHooks ?? true, log);
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
        const { nEmbd, nHead } = prepared.config;
        const patterns = await AttentionPatterns.create(nEmbd / nHead);
        const lensGraph = join(prepared.runDir, 'onnx', EARLIER_LENS_GRAPH_FILE);
        const earlierLens = existsSync(lensGraph) ? await EarlierLens.create(lensGraph, device, prepared.config.nLayer, log) : null;
        log(`Model ready on ${device === 'cpu' ? 'CPU' : 'WebGPU'}.`);
        const loadedRss = process.memoryUsage().rss;
        const availableMemory = options.availableMemory ?? (() => systemAvailableMemory() + Math.max(0, process.memoryUsage().rss - loadedRss));
        return new Gpt2Engine(prepared, device, model, tokenizer, patterns, earlierLens, availableMemory);
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
    this.checkIds(ids);
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

  /** A token as the views label it: its text, and its bytes when they are not whole characters (text has U+FFFD). */
  tokenPiece(id: number): TokenPiece {
    const entry = this.vocab[id];
    return entry === undefined ? { id, text: '' } : tokenPiece(id, tokenBytes(entry));
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
    const { nLayer } = this.summary;
    const asked = options.patternLayers ?? [];
    for (const layer of asked === 'all' ? [] : asked) this.checkLayer(layer);
    const everyLayer = this.carriesEveryLayer(ids.length);
    const fullLayers = asked === 'all' || everyLayer ? nLayer : new Set(asked).size;
    // A short text's layers go through the pattern graph in one run; a long one's a layer at a time, so one
    // layer's [head, n, n] pattern exists at once.
    const layersPerPatternRun = everyLayer ? nLayer : 1;
    // An ablated model is another model: nothing of the last inspection carries over, and this one is kept apart
    // (for the patterns a panel asks of it later).
    const ablation = isAblating(options.ablation) ? options.ablation : null;
    const session = ablation ? await this.ablatedSession(ablation) : this.session;
    const { cache, head, start } = ablation ? { cache: new KvCache(this.session.shape, true), head: null, start: 0 } : this.continueLastInspection(ids, { topK, targetId, residuals, reusePrefix: options.reusePrefix !== false });
    checkInspectionMemory(this.summary, { queries: ids.length - start, keys: ids.length, fullLayers, layersPerPatternRun }, this.availableMemory());
    if (!this.earlierLens) throw new Error('this graph was built without hooks');
    const forwardStart = performance.now();
    const outputs = await session.run(ids.slice(start), cache, { hooks: { topK, targetId }, logits: 'none' });
    const forwardSeconds = (performance.now() - forwardStart) / 1000;
    const context = { summary: this.summary, backend: this.backend, tokens: tokens.slice(start), topK, targetId, piece: (id: number) => this.tokenPiece(id) };
    if (options.onTokens && !ablation && ids.length - start >= TOKENS_FIRST_FROM) {
      const finalTail = readInspection(outputs, null, context);
      options.onTokens(tokenReadingOf(head ? spliceInspection(finalPointOf(head), finalTail, start, tokens) : finalTail), { seconds: forwardSeconds, secondsLeft: forwardSeconds * this.lensToForward });
    }
    const lensStart = performance.now();
    const read = readInspection(outputs, await this.earlierLens.run(outputs, topK, targetId), context);
    this.lensToForward = (performance.now() - lensStart) / 1000 / Math.max(forwardSeconds, 1e-3);
    const tail = residuals ? { ...read, residuals: readResiduals(outputs, nLayer) } : read;
    const reading = head ? spliceInspection(head, tail, start, tokens) : tail;
    if (ablation) this.ablatedSource = { key: ablationKey(ablation), cache };
    else this.lastInspection = { topK, targetId, residuals, reading, cache, reusedTokens: start };
    const full = fullLayers === nLayer ? () => true : (layer: number) => (asked as readonly number[]).includes(layer);
    const attention = await this.attentionOf(cache, full, layersPerPatternRun);
    return { ...reading, attention };
  }

  /**
   * The model's own next-token distribution at every position, from a plain forward that runs only where the
   * text departs from the last one read (token-reading.ts).
   */
  async readTokens(tokens: readonly Token[], topK = DEFAULT_TOP_K): Promise<TokenReading> {
    this.checkLength(tokens.length);
    const ids = tokens.map((t) => t.id);
    const k = Math.min(topK, this.summary.vocabSize);
    const stats = await this.tokenReader.read(ids, k);
    const pieces: Record<number, TokenPiece> = {};
    for (const id of [...ids, ...stats.topIds]) pieces[id] ??= this.tokenPiece(id);
    return tokenReading({ model: this.summary, backend: this.backend, tokens, pieces }, stats, k);
  }

  /**
   * Every layer's thumbnails, and the full patterns of the layers `full` picks, from the queries and keys
   * `cache` holds, `group` layers a run.
   */
  private async attentionOf(cache: KvCache, full: (layer: number) => boolean, group: number): Promise<Attention> {
    const { nLayer } = this.summary;
    const thumbnails: Float32Tensor[] = [];
    const patterns: (Float32Tensor | null)[] = [];
    for (let first = 0; first < nLayer; first += group) {
      const layers = Array.from({ length: Math.min(group, nLayer - first) }, (_, i) => first + i);
      const result = await this.rebuildPatterns(cache, layers, layers.some(full));
      thumbnails.push(...result.thumbnails);
      patterns.push(...layers.map((layer, i) => (result.patterns && full(layer) ? result.patterns[i] : null)));
    }
    return { hooks: patternHookNames(nLayer), thumbnails, patterns };
  }

  /** These layers' thumbnails, and their full patterns when `packed`, from the queries and keys `cache` holds. */
  private rebuildPatterns(cache: KvCache, layers: readonly number[], packed: boolean): Promise<LayersAttention> {
    const { nHead, nEmbd } = this.summary;
    return this.patterns.layers(cache.heldQueries(layers), cache.heldKeys(layers), { layers: layers.length, nHead, n: cache.length, headDim: nEmbd / nHead }, packed);
  }

  /**
   * The full attention pattern of one layer for a text given as token ids, [head, n·(n+1)/2]: from the
   * queries and keys kept of the last two texts inspected when it is one of them, otherwise from a forward
   * run without the lens (kept for the next layer asked for).
   */
  async attentionPattern(ids: readonly number[], layer: number, ablation?: AblationSetting): Promise<Float32Tensor> {
    this.checkLayer(layer);
    this.checkLength(ids.length);
    this.checkIds(ids);
    if (isAblating(ablation)) return this.ablatedPattern(ids, layer, ablation);
    let source = [this.lastInspection?.cache, this.patternSource].find((cache) => cache !== undefined && cache !== null && holdsExactly(cache, ids));
    this.patternRanModel = !source;
    if (!source) {
      this.patternSource = null;
      checkInspectionMemory(this.summary, { queries: ids.length, keys: ids.length, fullLayers: 1, layersPerPatternRun: 1, lens: false }, this.availableMemory());
      source = new KvCache(this.session.shape, true);
      await this.session.run(ids, source, { logits: 'none' });
      this.patternSource = source;
    }
    const { patterns } = await this.rebuildPatterns(source, [layer], true);
    if (!patterns) throw new Error('the pattern graph returned no pattern');
    return patterns[0];
  }

  /** A layer's pattern in the ablated model: ablating an earlier unit changes what later layers attend to. */
  private async ablatedPattern(ids: readonly number[], layer: number, ablation: AblationSetting): Promise<Float32Tensor> {
    const key = ablationKey(ablation);
    const kept = this.ablatedSource;
    let source = kept && kept.key === key && holdsExactly(kept.cache, ids) ? kept.cache : null;
    this.patternRanModel = !source;
    if (!source) {
      checkInspectionMemory(this.summary, { queries: ids.length, keys: ids.length, fullLayers: 1, layersPerPatternRun: 1, lens: false }, this.availableMemory());
      source = new KvCache(this.session.shape, true);
      await (await this.ablatedSession(ablation)).run(ids, source, { logits: 'none' });
      this.ablatedSource = { key, cache: source };
    }
    const { patterns } = await this.rebuildPatterns(source, [layer], true);
    if (!patterns) throw new Error('the pattern graph returned no pattern');
    return patterns[0];
  }

  private async ablatedSession(ablation: AblationSetting): Promise<Gpt2Session> {
    return new Gpt2Session((await this.experiments()).ablatedSession(ablation.ablations, ablation.mode), this.session.shape);
  }

  /**
   * Where an inspection starts. Positions before the first changed token cannot change (attention is causal),
   * so with the same settings it continues the last inspection after them; the last shared position runs
   * again, because the probability of the token after it needs its logits. The last inspection's cache
   * buffers serve either way; its reading only when spliced onto (dropped here otherwise).
   */
  private continueLastInspection(ids: readonly number[], settings: { topK: number; targetId: number | null; residuals: boolean; reusePrefix: boolean }): { cache: KvCache; head: LensReading | null; start: number } {
    const last = this.lastInspection;
    this.lastInspection = null;
    const same = last !== null && settings.reusePrefix && last.topK === settings.topK && last.targetId === settings.targetId && last.residuals === settings.residuals;
    const kept = same ? Math.min(last.cache.sharedPrefix(ids) - 1, ids.length - 1) : 0;
    const start = same && kept >= MIN_REUSED_POSITIONS ? kept : 0;
    // The last cache's buffers serve a continuation, or the same tokens again; another text's are kept for
    // the layers a panel may still ask of it.
    let cache: KvCache;
    if (last && (start > 0 || holdsExactly(last.cache, ids))) cache = last.cache;
    else {
      if (last) this.patternSource = last.cache;
      cache = new KvCache(this.session.shape, true);
    }
    cache.truncate(start);
    return { cache, head: start > 0 && last ? last.reading : null, start };
  }

  /** Whether the last attentionPattern call had to run the model: no kept queries were of its tokens. */
  get lastPatternRanModel(): boolean {
    return this.patternRanModel;
  }

  /** Positions the last readTokens took from the one before instead of running them (0 = a full run). */
  get lastTokensReused(): number {
    return this.tokenReader.reused;
  }

  /** Positions the last inspection took from the one before instead of running them (0 = a full run). */
  get lastReusedTokens(): number {
    return this.lastInspection?.reusedTokens ?? 0;
  }

  /** A plain forward (no hooks): the logits at every position, [position, vocab]. */
  async logits(tokens: readonly Token[]): Promise<Float32Tensor> {
    this.checkLength(tokens.length);
    const outputs = await this.session.run(tokens.map((t) => t.id), new KvCache(this.session.shape), { logits: 'all' });
    const logits = outputs.logits;
    return { dims: [tokens.length, this.summary.vocabSize], data: logits.data as Float32Array };
  }

  /** The single token `text` encodes to, for a lens target; a clear error if it is not one token. */
  targetTokenId(text: string): number {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false });
    if (ids.length !== 1) {
      const pieces = ids.map((id) => JSON.stringify(pieceText(this.tokenPiece(id)))).join(' + ');
      throw new GlassboxError('bad-request', `A target must be a single token; ${JSON.stringify(text)} is ${ids.length} tokens${ids.length ? ` (${pieces})` : ''}. Try it with or without a leading space.`);
    }
    return ids[0];
  }

  /**
   * The head catalogue: every head's scores (head-scores.ts) on a probe of `repeatLength` random tokens
   * repeated after the end-of-text token, drawn with `seed` from the tokens that are text on their own.
   */
  async scoreHeads(repeatLength: number, seed: number): Promise<{ probe: HeadProbe; scores: HeadScores }> {
    const length = 2 * repeatLength + 1;
    if (!Number.isInteger(repeatLength) || repeatLength < 1 || length > this.summary.nCtx) {
      throw new GlassboxError('bad-request', `The repeat length must be a whole number from 1 to ${Math.floor((this.summary.nCtx - 1) / 2)}: the probe (2R + 1 tokens) must fit the model's context of ${this.summary.nCtx}.`);
    }
    this.wholeTokens ??= this.vocab.flatMap((_, id) => (id !== END_OF_TEXT_ID && id < this.summary.vocabSize && /^[^\uFFFD]+$/.test(this.tokenText(id)) ? [id] : []));
    const probe = headProbe(this.wholeTokens, repeatLength, seed, END_OF_TEXT_ID);
    const text = probe.tokens.map((id) => this.tokenText(id)).join('');
    const inspection = await this.inspectTokens(this.tokensOf(text, probe.tokens), { topK: 1, targetId: null, patternLayers: 'all' });
    return { probe, scores: headScoresOf(inspection.attention, probe) };
  }

  async generate(text: string, options: GenerateOptions): Promise<Generation> {
    return this.generateTokens(this.checkedTokens(text), options);
  }

  /**
   * Generation with activation addition (protocol/interventions.ts states the definition): on the intervention
   * graph, with a cache of its own, since the steered model is another model.
   */
  async generateSteered(text: string, options: GenerateOptions, steering: Steering): Promise<Generation> {
    return this.generateSteeredTokens(this.checkedTokens(text), options, steering);
  }

  /** generateSteered for already tokenized text (a completion's prompt). */
  async generateSteeredTokens(tokens: readonly Token[], options: GenerateOptions, steering: Steering): Promise<Generation> {
    this.checkLength(tokens.length);
    const prompt = tokens.map((t) => t.id);
    this.checkLayer(steering.layer);
    if (!Number.isFinite(steering.scale)) throw new GlassboxError('bad-request', `The steering scale must be a finite number, got ${steering.scale}.`);
    const experiments = await this.experiments();
    // A steered completion comes with every pause in typing: the vector (two forward runs) is made once a steering.
    const key = JSON.stringify(steering);
    if (this.steeringVector?.key !== key) {
      const ids = (words: string) => this.tokenize(words).map((t) => t.id);
      this.steeringVector = { key, vector: await experiments.steeringVector(ids(steering.add), ids(steering.subtract), steering.layer, steering.scale) };
    }
    const { vector } = this.steeringVector;
    // Only the prompt's positions are steered: k < min(K, prompt length), whatever K is.
    const steered = vector.subarray(0, Math.min(vector.length, prompt.length * this.summary.nEmbd));
    const session = new Gpt2Session(experiments.steeredSession(steered, steering.layer), this.session.shape);
    return generate(session, new KvCache(this.session.shape), prompt, options, (id) => this.tokenPiece(id));
  }

  /** Continues already tokenized text (the model process keeps the tokens for its answer). */
  async generateTokens(prompt: readonly Token[], options: GenerateOptions): Promise<Generation> {
    this.checkLength(prompt.length);
    return generate(this.session, this.generationCache, prompt.map((t) => t.id), options, (id) => this.tokenPiece(id));
  }

  /** Attribution, ablation and patching on this model (experiments.ts); the first call loads their graph. */
  experiments(): Promise<Experiments> {
    this.experimentsLoading ??= (async () => {
      const weightsPath = join(this.prepared.runDir, 'onnx', 'model.safetensors');
      const weights = locateGpt2Weights(readSafetensorsIndex(weightsPath), this.prepared.config);
      return Experiments.load(this.prepared.runDir, INTERVENTION_GRAPH_FILE, weightsPath, this.prepared.config, weights, this.patterns);
    })();
    return this.experimentsLoading;
  }

  async dispose(): Promise<void> {
    await (await this.experimentsLoading?.catch(() => null))?.dispose();
    await this.model.dispose();
    await this.patterns.dispose();
    await this.earlierLens?.dispose();
  }

  private checkedTokens(text: string): Token[] {
    if (text.length === 0) throw new GlassboxError('text-empty', 'The text is empty: select some text to inspect.');
    const tokens = this.tokenize(text);
    this.checkLength(tokens.length);
    return tokens;
  }

  /** Whether an inspection of `n` tokens carries every layer's full patterns: short texts, small enough. */
  private carriesEveryLayer(n: number): boolean {
    const { nLayer, nHead } = this.summary;
    return n <= EVERY_PATTERN_UP_TO && nLayer * nHead * packedPatternLength(n) * 4 <= EVERY_PATTERN_BYTES;
  }

  private checkIds(ids: readonly number[]): void {
    const outside = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < this.summary.vocabSize && this.vocab[id] !== undefined));
    if (outside !== undefined) throw new GlassboxError('bad-request', `Token id ${outside} is outside the vocabulary.`);
  }

  private checkLayer(layer: number): void {
    const { nLayer } = this.summary;
    if (!(Number.isInteger(layer) && layer >= 0 && layer < nLayer)) throw new GlassboxError('bad-request', `Layer ${layer} does not exist: ${this.summary.name} has layers 0 to ${nLayer - 1}.`);
  }

  private checkLength(count: number): void {
    if (count === 0) throw new GlassboxError('text-empty', 'The text is empty: select some text to inspect.');
    if (count > this.summary.nCtx) {
      throw new GlassboxError('text-too-long', `The text is ${count} tokens; ${this.summary.name} reads at most ${this.summary.nCtx}. Select less text.`);
    }
  }

}

/** Whether `cache` holds exactly the tokens `ids`. */
function holdsExactly(cache: KvCache, ids: readonly number[]): boolean {
  return cache.length === ids.length && cache.sharedPrefix(ids) === ids.length;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
