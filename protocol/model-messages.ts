// Messages between the extension host and the model process (a forked Node process, IPC with 'advanced'
// serialisation so typed arrays travel as they are). Every request carries an id; the process answers it
// exactly once with a result or an error, may send progress for it before that, and drops or stops it when
// the host cancels it (or a newer completion supersedes it), answering with a 'cancelled' error, never a
// partial result. Each side validates what it receives (see model-message-guards.ts).

import type { AblationSetting, AttributionReport, PatchHook, PatchReport, Steering } from './interventions';
import type { HeadCatalogue } from './head-scores';
import type { HeadWrites } from './head-writes';
import type { RouteImportances } from './routes';
import type { ErrorInfo } from './errors';
import type { Backend, Inspection, ModelSummary, Token, TokenReading } from './inspection';
import type { Float32Tensor } from './tensor';
import type { TokenPiece } from './token-piece';

/** Where the weights come from: a folder in the Hub layout, or a Hub repo downloaded once into the cache. */
export type ModelSource = { readonly kind: 'folder'; readonly path: string } | { readonly kind: 'hub'; readonly repo: string; readonly revision?: string };

export type DeviceSetting = 'auto' | Backend;

/** Where Hub models come from unless `LoadParams.hubEndpoint` says otherwise. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface LoadParams {
  readonly source: ModelSource;
  readonly device: DeviceSetting;
  /** The extension's global storage: downloads and derived graphs go here. */
  readonly storageDir: string;
  /** Hub endpoint override (tests point it at 127.0.0.1). */
  readonly hubEndpoint?: string;
  /** The proxy Hub downloads go through, when VS Code's settings or the environment name one for the Hub. */
  readonly proxy?: ProxySettings;
}

export interface ProxySettings {
  /** `http://host:port`, credentials included if any (VS Code's `http.proxy`). */
  readonly url: string;
  /** Whether the Hub's certificate is checked through the proxy (`http.proxyStrictSSL`). */
  readonly strictSSL: boolean;
  /** A Proxy-Authorization header value (`http.proxyAuthorization`). */
  readonly authorization?: string;
}

export interface LoadResult {
  readonly summary: ModelSummary;
  readonly backend: Backend;
  readonly randomWeights: boolean;
  readonly seconds: number;
}

export interface InspectParams {
  readonly text: string;
  readonly topK: number;
  readonly targetId: number | null;
  /** Longer texts keep their last tokens that fit instead of being refused. */
  readonly windowToContext: boolean;
  /**
   * Inspect exactly these token ids, which must spell `text`, instead of tokenizing it: for a prompt and the
   * tokens the model generated after it, which a new tokenization may merge differently where they meet.
   */
  readonly ids?: readonly number[];
  /**
   * Layers whose full attention patterns come with the inspection however long the text (a short text
   * carries every layer's); the others can be asked for with `attention/pattern`.
   */
  readonly patternLayers?: readonly number[];
  /** Inspect the model with these units ablated; absent or empty: the model as it is. */
  readonly ablation?: AblationSetting;
  /**
   * Send the tokens' own next-token distribution as a `tokens` progress first, when the text is long enough
   * for that to come sooner than the whole inspection (the panel paints them while the rest is computed).
   */
  readonly tokensFirst?: boolean;
}

export interface InspectResult {
  readonly inspection: Inspection;
  /** How many leading tokens were dropped to fit the context (0 when none). */
  readonly droppedTokens: number;
  /** UTF-16 offset in the request's text where the inspected part starts; token offsets are relative to it. */
  readonly textOffset: number;
}

export interface PatternParams {
  /** The inspected token ids (an inspection's `tokens`). */
  readonly ids: readonly number[];
  readonly layer: number;
  /** The pattern in the model with these units ablated (as the inspection it belongs to was run). */
  readonly ablation?: AblationSetting;
}

export interface PatternResult {
  readonly layer: number;
  /** How many tokens the pattern covers: `ids.length`. */
  readonly tokens: number;
  /** [head, n·(n+1)/2], as in `Attention.patterns`. */
  readonly pattern: Float32Tensor;
}

export interface TargetParams {
  readonly text: string;
}

/** The token the text encodes to. */
export type TargetResult = TokenPiece;

export interface CompleteParams {
  readonly prompt: string;
  readonly maxNewTokens: number;
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly seed?: number;
  readonly stopAtNewline: boolean;
  /**
   * A prompt with more tokens than the context leaves for the new ones keeps its last tokens that fit, from a
   * line start when one is near (see windowTokens), instead of running out of room: the host aims a prompt
   * at a number of tokens without a tokenizer.
   */
  readonly windowToContext: boolean;
  /** Generate with this activation addition (protocol/interventions.ts); absent: the model as it is. */
  readonly steering?: Steering;
}

/** A token the model generated. */
export interface GeneratedToken extends TokenPiece {
  /**
   * The model's probability for this token where it chose it: the softmax of the raw logits, before any
   * temperature, so the same number an inspection of the prompt and the tokens before it reports as `next.prob`.
   */
  readonly prob: number;
}

/** Why a generation ended. */
export type GenerationStop = 'max-tokens' | 'newline' | 'end-of-text' | 'cancelled' | 'context-full';
export const GENERATION_STOPS: readonly GenerationStop[] = ['max-tokens', 'newline', 'end-of-text', 'cancelled', 'context-full'];

export interface CompleteResult {
  readonly promptTokens: readonly Token[];
  readonly tokens: readonly GeneratedToken[];
  readonly text: string;
  readonly stop: GenerationStop;
  readonly tokensPerSecond: number;
  /** Prompt tokens served from the previous completion's KV cache. */
  readonly reusedTokens: number;
  /** UTF-16 offset in the prompt where the tokens the model read start (0 unless windowed); promptTokens are relative to it. */
  readonly textOffset: number;
}

/** The same prompt continued by the model as it is and with a steering, with the same settings. */
export interface CompareParams extends Omit<CompleteParams, 'steering'> {
  readonly steering: Steering;
}

export interface Continuation {
  readonly tokens: readonly GeneratedToken[];
  readonly text: string;
  readonly stop: GenerationStop;
}

export interface CompareResult {
  /** The prompt as the model read it (both runs read the same tokens); offsets are into the prompt from `textOffset`. */
  readonly promptTokens: readonly Token[];
  /** UTF-16 offset in the prompt where the tokens the model read start (0 unless windowed). */
  readonly textOffset: number;
  readonly unsteered: Continuation;
  readonly steered: Continuation;
}

/** Every request: its method name, params and result. No method name is spelled anywhere else. */
export interface ModelRequests {
  /** host → model: load (downloading first if needed) the model every later request uses. */
  'model/load': { params: LoadParams; result: LoadResult };
  /** host → model: tokens, lens and attention of a text. */
  'inspect/run': { params: InspectParams; result: InspectResult };
  /**
   * host → model: only the model's own next-token distribution at every position (a plain forward; running
   * only where the text departs from the last one read): what surprisal highlighting tints by.
   */
  'tokens/read': { params: ReadParams; result: ReadResult };
  /** host → model: one layer's full attention patterns for inspected tokens, when the inspection did not carry them. */
  'attention/pattern': { params: PatternParams; result: PatternResult };
  /** host → model: the single token a lens target text encodes to. */
  'lens/target': { params: TargetParams; result: TargetResult };
  /** host → model: continue a prompt; the newest completion supersedes older ones. */
  'complete/run': { params: CompleteParams; result: CompleteResult };
  /** host → model: a prompt continued unsteered and steered (Compare Completions); newer completions do not supersede it. */
  'complete/compare': { params: CompareParams; result: CompareResult };
  /** host → model: direct logit attribution at a position of inspected tokens. */
  'attribute/run': { params: AttributeParams; result: AttributionReport };
  /** host → model: the head catalogue of the loaded model, averaged over seeded probes (cached per model). */
  'heads/score': { params: HeadsParams; result: HeadCatalogue };
  /** host → model: what one head writes at a position of inspected tokens (its OV circuit's and direct effect's top tokens). */
  'heads/writes': { params: HeadWritesParams; result: HeadWrites };
  /** host → model: an activation-patching sweep from a clean text into a corrupt one of as many tokens. */
  'patch/run': { params: PatchParams; result: PatchReport };
  /** host → model: the information-flow importances of inspected tokens, from which any route graph is drawn. */
  'routes/run': { params: RoutesParams; result: RouteImportances };
}

export interface ReadParams {
  readonly text: string;
  readonly topK: number;
  /** Longer texts keep their last tokens that fit instead of being refused. */
  readonly windowToContext: boolean;
}

export interface ReadResult {
  readonly reading: TokenReading;
  /** How many leading tokens were dropped to fit the context (0 when none). */
  readonly droppedTokens: number;
  /** UTF-16 offset in the request's text where the read part starts; token offsets are relative to it. */
  readonly textOffset: number;
}

export interface RoutesParams {
  readonly ids: readonly number[];
}

export interface PatchParams {
  readonly clean: readonly number[];
  readonly corrupt: readonly number[];
  readonly hook: PatchHook;
  readonly targetId: number;
  readonly versusId: number | null;
}

export interface HeadsParams {
  /** R: random tokens in each probe's first copy. */
  readonly repeatLength: number;
  /** How many probes (seeds 0 … probes − 1) the scores average over. */
  readonly probes: number;
}

export interface HeadWritesParams {
  readonly ids: readonly number[];
  /** 0-based token index the head reads from (its sources) and writes at (its direct effect). */
  readonly position: number;
  readonly layer: number;
  readonly head: number;
  /** In the model with these units ablated, as the inspection shown. */
  readonly ablation?: AblationSetting;
}

export interface AttributeParams {
  readonly ids: readonly number[];
  /** 0-based token index whose prediction is explained. */
  readonly position: number;
  readonly targetId: number;
  readonly versusId: number | null;
  /** Attribute the prediction of the model with these units ablated. */
  readonly ablation?: AblationSetting;
}

export type ModelMethod = keyof ModelRequests;
export const MODEL_METHODS: readonly ModelMethod[] = ['model/load', 'inspect/run', 'tokens/read', 'attention/pattern', 'lens/target', 'complete/run', 'complete/compare', 'attribute/run', 'heads/score', 'heads/writes', 'patch/run', 'routes/run'];

export type Progress =
  | { readonly kind: 'download'; readonly file: string; readonly receivedBytes: number; readonly totalBytes: number; readonly overallReceived: number; readonly overallTotal: number }
  | { readonly kind: 'load'; readonly message: string }
  | ({ readonly kind: 'token' } & TokenPiece)
  /** An inspection's first part (`tokensFirst`): the tokens' reading, windowed as the result will be, and time. */
  | {
      readonly kind: 'tokens';
      readonly reading: TokenReading;
      readonly droppedTokens: number;
      readonly textOffset: number;
      readonly seconds: number;
      /** An estimate of the rest of the inspection, from the proportions of the last one. */
      readonly secondsLeft: number;
    };

export type HostToModel =
  | { readonly type: 'request'; readonly id: number; readonly method: ModelMethod; readonly params: ModelRequests[ModelMethod]['params'] }
  | { readonly type: 'cancel'; readonly id: number };

export type ModelToHost =
  | { readonly type: 'result'; readonly id: number; readonly result: ModelRequests[ModelMethod]['result'] }
  | { readonly type: 'error'; readonly id: number | null; readonly error: ErrorInfo }
  | { readonly type: 'progress'; readonly id: number; readonly progress: Progress }
  /** A line for the Glassbox output channel. */
  | { readonly type: 'log'; readonly message: string }
  /** Sent once when the process is up and listening. */
  | { readonly type: 'ready'; readonly pid: number };

export type RequestOf<M extends ModelMethod> = { readonly type: 'request'; readonly id: number; readonly method: M; readonly params: ModelRequests[M]['params'] };
