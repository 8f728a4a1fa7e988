// The model process's side of the protocol: one queue, one request at a time (inference saturates the
// cores, so running two at once only makes both late). Cancelled requests are dropped before they start;
// a running generation stops at the next token; a running inspection finishes and its result is dropped.
// A new completion supersedes every older one, so typing fast never builds a queue.

import { isAbsolute, join } from 'node:path';
import { GlassboxError, toErrorInfo } from '../protocol/errors';
import { parseHostToModel } from '../protocol/model-message-guards';
import type {
  AttributeParams,
  HeadsParams,
  CompareParams,
  CompareResult,
  HeadWritesParams,
  CompleteParams,
  CompleteResult,
  Continuation,
  HostToModel,
  InspectResult,
  LoadParams,
  LoadResult,
  ModelMethod,
  ModelRequests,
  PatchParams,
  ModelToHost,
  ReadParams,
  ReadResult,
  RequestOf,
} from '../protocol/model-messages';
import { Gpt2Engine, type InspectOptions } from './run/gpt2-engine';
import type { GenerateOptions, Generation } from './run/generation';
import type { AttributionReport, PatchReport } from '../protocol/interventions';
import type { RouteImportances } from '../protocol/routes';
import { HEAD_SCORE_KINDS, type HeadCatalogue, type HeadScoreKind, type HeadScores } from '../protocol/head-scores';
import type { Token } from '../protocol/inspection';
import { HEAD_WRITES_SOURCES, HEAD_WRITES_TOP, type HeadWrites } from '../protocol/head-writes';
import { windowTokens, type TokenWindow } from './run/token-window';
import { HubDownloadError } from './models/hub-download-error';
import { ensureHubModel } from './models/hub-download';
import { fetchThroughProxy } from './models/hub-proxy';
import { checkMemoryBudget } from './run/memory-budget';

type Request = Extract<HostToModel, { type: 'request' }>;

interface Job {
  readonly request: Request;
  readonly abort: AbortController;
}

export class ModelServer {
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private engine: Gpt2Engine | null = null;
  /** Head catalogues of loaded models, by model name and probe settings: a model's heads do not change. */
  private readonly catalogues = new Map<string, HeadCatalogue>();

  constructor(private readonly send: (message: ModelToHost) => void) {}

  /** Requests waiting or running, for tests and the log. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  receive(raw: unknown): void {
    const message = parseHostToModel(raw);
    if ('error' in message) {
      this.send({ type: 'error', id: message.id, error: { code: 'bad-request', message: `Malformed message: ${message.error}` } });
      return;
    }
    if (message.type === 'cancel') {
      this.cancel((job) => job.request.id === message.id);
      return;
    }
    if (message.method === 'complete/run') this.cancel((job) => job.request.method === 'complete/run');
    this.queue.push({ request: message, abort: new AbortController() });
    void this.pump();
  }

  async dispose(): Promise<void> {
    this.cancel(() => true);
    await this.engine?.dispose();
    this.engine = null;
  }

  private cancel(matches: (job: Job) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (matches(this.queue[i])) {
        const [job] = this.queue.splice(i, 1);
        this.fail(job.request.id, new GlassboxError('cancelled', 'Cancelled before it started.'));
      }
    }
    if (this.running && matches(this.running)) this.running.abort.abort();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    try {
      const result = await this.handle(job);
      // A stopped generation's partial result is dropped too: whoever cancelled or superseded it wants none,
      // and answering it as a result made a superseded running completion resolve while queued ones rejected.
      if (job.abort.signal.aborted) throw new GlassboxError('cancelled', 'Cancelled.');
      this.send({ type: 'result', id: job.request.id, result });
    } catch (error) {
      this.fail(job.request.id, error);
    } finally {
      this.running = null;
      void this.pump();
    }
  }

  private fail(id: number, error: unknown): void {
    const info = error instanceof HubDownloadError ? { code: error.code === 'cancelled' ? 'cancelled' : 'download', message: error.message } as const : toErrorInfo(error);
    this.send({ type: 'error', id, error: info });
  }

  private handle(job: Job): Promise<ModelRequests[ModelMethod]['result']> {
    const { request } = job;
    switch (request.method) {
      case 'model/load':
        return this.load(request as RequestOf<'model/load'>, job.abort.signal);
      case 'inspect/run':
        return this.inspect(request as RequestOf<'inspect/run'>);
      case 'tokens/read':
        return this.read((request as RequestOf<'tokens/read'>).params);
      case 'attention/pattern': {
        const { ids, layer, ablation } = (request as RequestOf<'attention/pattern'>).params;
        return this.loaded()
          .attentionPattern(ids, layer, ablation)
          .then((pattern) => ({ layer, tokens: ids.length, pattern }));
      }
      case 'lens/target': {
        const engine = this.loaded();
        const id = engine.targetTokenId((request as RequestOf<'lens/target'>).params.text);
        return Promise.resolve(engine.tokenPiece(id));
      }
      case 'complete/run':
        return this.complete(request as RequestOf<'complete/run'>, job.abort.signal);
      case 'complete/compare':
        return this.compare((request as RequestOf<'complete/compare'>).params, job.abort.signal);
      case 'attribute/run':
        return this.attribute((request as RequestOf<'attribute/run'>).params);
      case 'heads/score':
        return this.heads((request as RequestOf<'heads/score'>).params);
      case 'heads/writes':
        return this.headWrites((request as RequestOf<'heads/writes'>).params);
      case 'patch/run':
        return this.patch((request as RequestOf<'patch/run'>).params);
      case 'routes/run':
        return this.routes((request as RequestOf<'routes/run'>).params.ids);
    }
  }

  /** The head catalogue, averaged over seeded probes; computed once per model and settings. */
  private async heads(params: HeadsParams): Promise<HeadCatalogue> {
    const engine = this.loaded();
    const key = `${engine.summary.name}:${params.repeatLength}:${params.probes}`;
    const known = this.catalogues.get(key);
    if (known) return known;
    const runs: HeadScores[] = [];
    for (let seed = 0; seed < params.probes; seed++) runs.push((await engine.scoreHeads(params.repeatLength, seed)).scores);
    const mean = (kind: HeadScoreKind) => runs[0][kind].map((row, l) => row.map((_, h) => runs.reduce((s, r) => s + r[kind][l][h], 0) / runs.length));
    const catalogue: HeadCatalogue = { scores: Object.fromEntries(HEAD_SCORE_KINDS.map((k) => [k, mean(k)])) as unknown as HeadScores, ...params };
    this.catalogues.set(key, catalogue);
    return catalogue;
  }

  /** What a head writes (experiments/head-writes.ts), its tokens labelled as the views show them. */
  private async headWrites(params: HeadWritesParams): Promise<HeadWrites> {
    const engine = this.loaded();
    const { ids, position, layer, head, ablation } = params;
    const writes = await (await engine.experiments()).headWrites(ids, position, layer, head, { sources: HEAD_WRITES_SOURCES, top: HEAD_WRITES_TOP }, ablation);
    const scored = (t: { id: number; value: number }) => ({ ...engine.tokenPiece(t.id), value: t.value });
    return {
      layer,
      head,
      position,
      sources: writes.sources.map((s) => ({ position: s.position, attention: s.attention, token: engine.tokenPiece(s.id), top: s.top.map(scored) })),
      promoted: writes.promoted.map(scored),
      suppressed: writes.suppressed.map(scored),
    };
  }

  private async attribute(params: AttributeParams): Promise<AttributionReport> {
    const engine = this.loaded();
    const { ids, position, targetId, versusId, ablation } = params;
    const experiments = await engine.experiments();
    const { attribution, logitDiff } = await experiments.attribute(ids, position, { targetId, versusId }, ablation);
    return { position, targetId, versusId, logitDiff, components: attribution.components, neurons: attribution.neurons };
  }

  private async patch(params: PatchParams): Promise<PatchReport> {
    const { clean, corrupt, hook, targetId, versusId } = params;
    const result = await (await this.loaded().experiments()).patch(clean, corrupt, hook, { targetId, versusId });
    return { hook, targetId, versusId, ...result };
  }

  /** The importances of every layer and position, without the per-head split (the route graph sums over heads). */
  private async routes(ids: readonly number[]): Promise<RouteImportances> {
    return (await this.loaded().experiments()).routes(ids);
  }

  private loaded(): Gpt2Engine {
    if (!this.engine) throw new GlassboxError('bad-request', 'No model is loaded yet.');
    return this.engine;
  }

  private async load(request: RequestOf<'model/load'>, signal: AbortSignal): Promise<LoadResult> {
    const started = performance.now();
    const { source, device, storageDir, hubEndpoint, proxy }: LoadParams = request.params;
    // Resolved against this process's folder, a relative path would put the cache wherever it was started.
    if (!isAbsolute(storageDir)) throw new GlassboxError('bad-request', `The storage folder must be an absolute path, got ${JSON.stringify(storageDir)}.`);
    const progress = (message: string) => this.send({ type: 'progress', id: request.id, progress: { kind: 'load', message } });
    let modelDir: string;
    let name: string;
    if (source.kind === 'folder') {
      modelDir = source.path;
      name = source.path;
    } else {
      name = source.repo;
      progress(`Checking ${source.repo} on the Hugging Face Hub…`);
      const hubModel = await ensureHubModel({
        repo: source.repo,
        revision: source.revision,
        endpoint: hubEndpoint,
        cacheDir: join(storageDir, 'models'),
        ...(proxy ? { fetchImpl: fetchThroughProxy(proxy) } : {}),
        signal,
        onProgress: (p) => this.send({ type: 'progress', id: request.id, progress: { kind: 'download', ...p } }),
        onLockWait: (wait) => {
          this.send({ type: 'log', message: wait.message });
          progress(wait.message);
        },
      });
      modelDir = hubModel.dir;
      if (hubModel.unverified.length > 0) {
        // The README promises verified downloads: files the Hub gave no hash for are named, not passed over.
        const warning = `Not verified: the Hub lists no checksum for ${hubModel.unverified.join(', ')} of ${source.repo}, so only their size was checked.`;
        this.send({ type: 'log', message: warning });
        progress(warning);
      }
    }
    checkMemoryBudget(modelDir);
    progress(`Loading ${name}…`);
    // The working model stays until the new one is ready: a folder that fails to load loses the user nothing.
    const loaded = await Gpt2Engine.load({ modelDir, cacheDir: storageDir, device, name, log: (message) => this.send({ type: 'log', message }) });
    await this.engine?.dispose();
    this.engine = loaded;
    this.catalogues.clear(); // a reloaded folder may hold other weights under the same name
    return { summary: this.engine.summary, backend: this.engine.backend, randomWeights: this.engine.randomWeights, seconds: (performance.now() - started) / 1000 };
  }

  private async read(params: ReadParams): Promise<ReadResult> {
    const engine = this.loaded();
    // A window that starts at a line, as a completion's prompt does: while the user types at the end of a view
    // longer than the context, the window keeps its start (a cut a token at a time would move with every
    // keystroke and read the whole window again), and the reading continues from the last one.
    const { tokens, droppedTokens, textOffset } = this.tokensOf(engine, params, true);
    return { reading: await engine.readTokens(tokens, params.topK), droppedTokens, textOffset };
  }

  /** The tokens of a request's text (or the ids it gives), windowed to the context when it asks (token-window.ts). */
  private tokensOf(engine: Gpt2Engine, params: { readonly text: string; readonly ids?: readonly number[]; readonly windowToContext: boolean }, lineStart = false): TokenWindow {
    if (params.text.length === 0) throw new GlassboxError('text-empty', 'There is no text to inspect: select some text, or put the cursor on a line that has some.');
    const all = params.ids ? engine.tokensOf(params.text, params.ids) : engine.tokenize(params.text);
    // Without windowing a text too long is refused by the engine, with a message that says so.
    return params.windowToContext ? windowTokens(all, params.text, engine.summary.nCtx, { lineStart }) : { tokens: all, droppedTokens: 0, textOffset: 0 };
  }

  private async inspect(request: RequestOf<'inspect/run'>): Promise<InspectResult> {
    const { params } = request;
    const engine = this.loaded();
    const { tokens, droppedTokens, textOffset } = this.tokensOf(engine, params);
    // The layers a panel shows are a hint from its last model: after a switch to a model with fewer layers
    // they may not exist, and the panel falls back to layer 0 when the inspection arrives.
    const patternLayers = params.patternLayers?.map((layer) => (layer < engine.summary.nLayer ? layer : 0));
    const onTokens: InspectOptions['onTokens'] = params.tokensFirst
      ? (reading, timing) => this.send({ type: 'progress', id: request.id, progress: { kind: 'tokens', reading, droppedTokens, textOffset, ...timing } })
      : undefined;
    const inspection = await engine.inspectTokens(tokens, { topK: params.topK, targetId: params.targetId, patternLayers, ablation: params.ablation, onTokens });
    return { inspection, droppedTokens, textOffset };
  }

  private async complete(request: RequestOf<'complete/run'>, signal: AbortSignal): Promise<CompleteResult> {
    const engine = this.loaded();
    const p: CompleteParams = request.params;
    const { tokens: prompt, textOffset } = this.completionPrompt(p);
    // A steered completion runs on the intervention graph with a cache of its own (the steered model is another model).
    const { steering } = p;
    const generate = (t: readonly Token[], o: GenerateOptions) => (steering ? engine.generateSteeredTokens(t, o, steering) : engine.generateTokens(t, o));
    const generation = await generate(prompt, {
      ...generateOptions(p, signal),
      onToken: (token) => this.send({ type: 'progress', id: request.id, progress: { kind: 'token', ...token } }),
    });
    return {
      promptTokens: prompt,
      tokens: generation.tokens,
      text: generation.text,
      stop: generation.stop,
      tokensPerSecond: generation.seconds > 0 ? generation.tokens.length / generation.seconds : 0,
      reusedTokens: generation.reusedTokens,
      textOffset,
    };
  }

  /** The same prompt tokens continued in the model as it is, then with the steering, with the same settings (and seed). */
  private async compare(p: CompareParams, signal: AbortSignal): Promise<CompareResult> {
    const engine = this.loaded();
    const { tokens: prompt, textOffset } = this.completionPrompt(p);
    const options = generateOptions(p, signal);
    const continuation = ({ tokens, text, stop }: Generation): Continuation => ({ tokens, text, stop });
    const unsteered = continuation(await engine.generateTokens(prompt, options));
    const steered = continuation(await engine.generateSteeredTokens(prompt, options, p.steering));
    return { promptTokens: prompt, textOffset, unsteered, steered };
  }

  /** The prompt's tokens that leave room for the new ones; generation stops early ('context-full') where they have none. */
  private completionPrompt(p: Omit<CompleteParams, 'steering'>): { tokens: readonly Token[]; textOffset: number } {
    const engine = this.loaded();
    const all = engine.tokenize(p.prompt);
    const room = Math.max(1, engine.summary.nCtx - p.maxNewTokens);
    return p.windowToContext ? windowTokens(all, p.prompt, room, { lineStart: true }) : { tokens: all, textOffset: 0 };
  }
}

function generateOptions(p: Omit<CompleteParams, 'steering'>, signal: AbortSignal): GenerateOptions {
  return { maxNewTokens: p.maxNewTokens, temperature: p.temperature, topK: p.topK, topP: p.topP, seed: p.seed, stopAtNewline: p.stopAtNewline, signal };
}
