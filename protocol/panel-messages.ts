// Messages between the extension host and the Inspect panel's webview. Every message is `{type, payload}` with
// `type` one of the constants below; both sides validate what they receive with the parsers at the bottom,
// because a webview is a separate page and nothing it sends (or is sent) is trusted by its type alone.

import { boolean, fail, finite, integer, InvalidMessage, nullable, oneOf, record, string, type Reader } from './guards';
import { packedPatternTokens, type Inspection, type LensTarget, type TokenReading } from './inspection';
import { dimOf, inspection, layerPattern, lensTarget, tokenPiece, tokenReading } from './inspection-guard';
import type { Float32Tensor } from './tensor';
import type { TokenPiece } from './token-piece';
import { ablationSetting, attributionReport, headCatalogue, headWrites, patchReport, routeImportances } from './experiment-guards';
import type { HeadCatalogue } from './head-scores';
import type { HeadWrites } from './head-writes';
import type { RouteImportances } from './routes';
import { PATCH_HOOKS, type AblationSetting, type AttributionReport, type PatchHook, type PatchReport } from './interventions';

// ---------------------------------------------------------------------------------------------------------
// Payloads shared by several messages

/** Where the inspected text came from. */
export interface InspectionSource {
  readonly uri: string;
  /** Set when the text was longer than the model's context and tokens were left out. */
  readonly windowed: { readonly droppedTokens: number } | null;
  /** True for a generated demo model: the views show the machinery, not anything learned. */
  readonly randomWeights: boolean;
  /**
   * Set when the text is a prompt and a completion the model wrote after it ("Explain this completion"): the
   * generated tokens. Absent or null for text from a document.
   */
  readonly generated?: GeneratedSpan | null;
}

/** Token positions `[start, end)` of `inspection.tokens` that the model generated. */
export interface GeneratedSpan {
  readonly start: number;
  readonly end: number;
}

export const panelTabs = ['tokens', 'lens', 'attention', 'why', 'routes', 'heads', 'compare'] as const;
export type PanelTab = (typeof panelTabs)[number];

/** `change`: log₂ of the token's probability in the ablated model over the unablated one (only with ablations). */
export const tokenColourModes = ['probability', 'surprisal', 'rank', 'change'] as const;
export type TokenColourMode = (typeof tokenColourModes)[number];

/**
 * `change`: log₂ of the probability the lens gives the followed token (the target when one is set, else the
 * token that comes next in the shown text) over the baseline's — the unablated model, or a pinned text of as
 * many tokens; only with one of them (webview/lens-change.ts).
 */
export const lensColourModes = ['probability', 'entropy', 'kl', 'target-probability', 'target-rank', 'change'] as const;
export type LensColourMode = (typeof lensColourModes)[number];

export const attentionViews = ['matrix', 'lines'] as const;
export type AttentionView = (typeof attentionViews)[number];

export const exportFormats = ['png', 'svg', 'json', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** What the panel remembers across hide/reload (webview state) and reports to the host. */
export interface PanelViewState {
  readonly tab: PanelTab;
  readonly tokenColour: TokenColourMode;
  readonly showTokenIds: boolean;
  /** Index into `inspection.tokens` of the token whose predictions are open, or null. */
  readonly selectedToken: number | null;
  readonly sampling: SamplingSettings;
  readonly lensColour: LensColourMode;
  readonly lensTarget: TokenPiece | null;
  /** `head: null` is the mean over the layer's heads. */
  readonly attentionHead: { readonly layer: number; readonly head: number | null };
  readonly attentionView: AttentionView;
  /** Re-inspect as the editor's selection changes. */
  readonly followSelection: boolean;
}

export interface SamplingSettings {
  /** 0 means greedy. */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

// ---------------------------------------------------------------------------------------------------------
// host → webview

/** host → webview: a finished inspection to show. */
export const InspectionShow = 'inspection/show';
export interface InspectionShowPayload {
  /** Without full attention patterns, only thumbnails: the page asks for the head it draws (`attention/pattern`). */
  readonly inspection: Inspection;
  readonly source: InspectionSource;
  /** Set when `inspection` is of the model with units ablated: which, and the same text in the model as it is. */
  readonly ablated?: AblatedView | null;
  /** Set while a text is pinned as the Compare tab's baseline (the clean run of a patching sweep). */
  readonly pinned?: PinnedView | null;
}

/**
 * host → webview: the first part of an inspection still running — its tokens with the model's own
 * next-token distribution. The page paints the Tokens tab from it; the finished inspection follows as
 * `inspection/show` (or `inspection/error`).
 */
export const InspectionTokens = 'inspection/tokens';
export interface InspectionTokensPayload {
  readonly reading: TokenReading;
  readonly source: InspectionSource;
}

/** The pinned baseline: the text the shown one is compared with, in the same model. */
export interface PinnedView {
  readonly uri: string;
  /** Without full attention patterns: the Compare tab compares tokens and predictions. */
  readonly inspection: Inspection;
}

/** An ablated inspection's context: the setting its chips show, and the unablated run it is compared with. */
export interface AblatedView {
  readonly setting: AblationSetting;
  /** The same tokens in the model as it is (without full attention patterns: the page compares numbers). */
  readonly baseline: Inspection;
}

/** host → webview: an inspection is under way (model loading, running); `fraction` null when unknown. */
export const InspectionProgress = 'inspection/progress';
export interface InspectionProgressPayload {
  readonly message: string;
  readonly fraction: number | null;
}

/** host → webview: the inspection failed; the panel keeps what it showed before. */
export const InspectionError = 'inspection/error';
export interface InspectionErrorPayload {
  readonly message: string;
}

/**
 * host → webview: the editor's cursor, as a UTF-16 offset into the inspected text (the coordinates of
 * `Token.start`/`end`), or null when the cursor is outside it.
 */
export const EditorCursor = 'editor/cursor';
export interface EditorCursorPayload {
  readonly offset: number | null;
}

/** host → webview: the answer to `lens/target` with the same `requestId`. */
export const LensTargetResult = 'lens/targetResult';
export interface LensTargetResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly piece: TokenPiece; readonly target: LensTarget } | { readonly error: string };
}

/** host → webview: the answer to `attention/pattern` with the same `requestId`. */
export const AttentionPatternResult = 'attention/patternResult';
export interface AttentionPatternResultPayload {
  readonly requestId: number;
  readonly layer: number;
  readonly head: number | null;
  /** [1, n·(n+1)/2] for the n tokens of the shown inspection: the head's packed pattern, or its layer's mean. */
  readonly outcome: { readonly pattern: Float32Tensor } | { readonly error: string };
}

/** host → webview: the answer to `why/attribute` with the same `requestId`. */
export const WhyResult = 'why/result';
export interface WhyResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly report: AttributionReport } | { readonly error: string };
}

/** host → webview: the answer to `patch/run` with the same `requestId`. */
export const PatchResult = 'patch/result';
export interface PatchResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly report: PatchReport } | { readonly error: string };
}

/** host → webview: the answer to `token/resolve` with the same `requestId`: the one token the text is. */
export const TokenResolved = 'token/resolved';
export interface TokenResolvedPayload {
  readonly requestId: number;
  readonly outcome: TokenPiece | { readonly error: string };
}

/** host → webview: the answer to `routes/request` with the same `requestId`. */
export const RoutesResult = 'routes/result';
export interface RoutesResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly routes: RouteImportances } | { readonly error: string };
}

/** host → webview: the answer to `heads/request` with the same `requestId`. */
export const HeadsResult = 'heads/result';
export interface HeadsResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly catalogue: HeadCatalogue } | { readonly error: string };
}

/** host → webview: the answer to `heads/writes` with the same `requestId`. */
export const HeadWritesResult = 'heads/writesResult';
export interface HeadWritesResultPayload {
  readonly requestId: number;
  readonly outcome: { readonly writes: HeadWrites } | { readonly error: string };
}

export interface HostToWebviewPayloads {
  readonly [InspectionShow]: InspectionShowPayload;
  readonly [InspectionTokens]: InspectionTokensPayload;
  readonly [InspectionProgress]: InspectionProgressPayload;
  readonly [InspectionError]: InspectionErrorPayload;
  readonly [EditorCursor]: EditorCursorPayload;
  readonly [LensTargetResult]: LensTargetResultPayload;
  readonly [AttentionPatternResult]: AttentionPatternResultPayload;
  readonly [WhyResult]: WhyResultPayload;
  readonly [HeadsResult]: HeadsResultPayload;
  readonly [HeadWritesResult]: HeadWritesResultPayload;
  readonly [PatchResult]: PatchResultPayload;
  readonly [RoutesResult]: RoutesResultPayload;
  readonly [TokenResolved]: TokenResolvedPayload;
}

// ---------------------------------------------------------------------------------------------------------
// webview → host

/** webview → host: the page has loaded and listens; the host (re)sends the current inspection. */
export const PanelReady = 'panel/ready';
export type PanelReadyPayload = Readonly<Record<string, never>>;

/** webview → host: the user clicked a token; select `[start, end)` of the inspected text in its editor. */
export const TokenReveal = 'token/reveal';
export interface TokenRevealPayload {
  readonly start: number;
  readonly end: number;
}

/**
 * webview → host: compute the lens target for a token (request; answered by `lens/targetResult`). With `id`
 * set the host uses that id (picked from a lens cell); otherwise it tokenizes `text` and takes the first token.
 */
export const LensTargetRequest = 'lens/target';
export interface LensTargetRequestPayload {
  readonly requestId: number;
  readonly text: string;
  readonly id: number | null;
}

/**
 * webview → host: one head's full attention pattern for the shown inspection (or, `head` null, its layer's
 * mean), which carries only thumbnails. Answered by `attention/patternResult`. A head at a time: a layer of
 * GPT-2 small at 1,024 tokens is 25 MB, and the panel draws one head.
 */
export const AttentionPatternRequest = 'attention/pattern';
export interface AttentionPatternRequestPayload {
  readonly requestId: number;
  readonly layer: number;
  readonly head: number | null;
}

/** Which text an attribution is of: the shown one, or the pinned one (the Compare tab's difference). */
export const attributedTexts = ['shown', 'pinned'] as const;
export type AttributedText = (typeof attributedTexts)[number];

/**
 * webview → host: direct logit attribution of the prediction at `position` of the shown text or of the pinned
 * one (answered by `why/result`): logit(targetId) − logit(versusId), or logit(targetId) when versusId is null.
 * Both in the model the panel shows (with the chips' ablations), so that a difference is the text's alone.
 */
export const WhyAttribute = 'why/attribute';
export interface WhyAttributePayload {
  readonly requestId: number;
  readonly of: AttributedText;
  readonly position: number;
  readonly targetId: number;
  readonly versusId: number | null;
}

/**
 * webview → host: show the inspected text in the model with these units ablated (answered by `inspection/show`
 * with `ablated` set, or without it when the setting has no units). Kept for later inspections until changed.
 */
export const AblationSet = 'ablation/set';
export interface AblationSetPayload {
  readonly ablation: AblationSetting;
}

/** webview → host: pin the shown text as the Compare tab's baseline (`pin: true`), or drop the pin. */
export const ComparePin = 'compare/pin';
export interface ComparePinPayload {
  readonly pin: boolean;
}

/**
 * webview → host: patch `hook` from the pinned text (clean) into the shown one (corrupt), both as many tokens,
 * with the metric logit(targetId) − logit(versusId) at the last position (answered by `patch/result`).
 */
export const PatchRequest = 'patch/run';
export interface PatchRequestPayload {
  readonly requestId: number;
  readonly hook: PatchHook;
  readonly targetId: number;
  readonly versusId: number | null;
}

/** webview → host: the single token `text` encodes to, for a target typed in the Why tab (answered by `token/resolved`). */
export const TokenResolve = 'token/resolve';
export interface TokenResolvePayload {
  readonly requestId: number;
  readonly text: string;
}

/** webview → host: the information-flow importances of the shown text in the model as it is (answered by `routes/result`). */
export const RoutesRequest = 'routes/request';
export interface RoutesRequestPayload {
  readonly requestId: number;
}

/** webview → host: the loaded model's head catalogue (answered by `heads/result`). */
export const HeadsRequest = 'heads/request';
export interface HeadsRequestPayload {
  readonly requestId: number;
}

/** webview → host: the user cancelled the inspection running (the page goes back to what it showed before). */
export const InspectionCancel = 'inspection/cancel';

/**
 * webview → host: save the shown inspection as JSON in the CLI's format (`glassbox inspect --json`). The host
 * writes it: it holds the full attention patterns the page never gets.
 */
export const InspectionExport = 'export/inspection';
export interface InspectionExportPayload {
  readonly filename: string;
}

/**
 * webview → host: what head `head` of `layer` writes at `position` of the shown inspection, in the model it
 * shows (answered by `heads/writesResult`).
 */
export const HeadWritesRequest = 'heads/writes';
export interface HeadWritesRequestPayload {
  readonly requestId: number;
  readonly position: number;
  readonly layer: number;
  readonly head: number;
}

/** webview → host: save a figure or table; the host asks where. PNG travels base64-encoded. */
export const ExportSave = 'export/save';
export interface ExportSavePayload {
  readonly format: ExportFormat;
  readonly filename: string;
  readonly data: string;
  readonly encoding: 'utf8' | 'base64';
}

/** webview → host: the panel's view state changed (for restoring a serialized panel and for tests). */
export const StateChanged = 'state/changed';
export interface StateChangedPayload {
  readonly state: PanelViewState;
}

export interface WebviewToHostPayloads {
  readonly [PanelReady]: PanelReadyPayload;
  readonly [TokenReveal]: TokenRevealPayload;
  readonly [LensTargetRequest]: LensTargetRequestPayload;
  readonly [AttentionPatternRequest]: AttentionPatternRequestPayload;
  readonly [WhyAttribute]: WhyAttributePayload;
  readonly [HeadsRequest]: HeadsRequestPayload;
  readonly [HeadWritesRequest]: HeadWritesRequestPayload;
  readonly [AblationSet]: AblationSetPayload;
  readonly [ComparePin]: ComparePinPayload;
  readonly [PatchRequest]: PatchRequestPayload;
  readonly [RoutesRequest]: RoutesRequestPayload;
  readonly [TokenResolve]: TokenResolvePayload;
  readonly [ExportSave]: ExportSavePayload;
  readonly [InspectionExport]: InspectionExportPayload;
  readonly [InspectionCancel]: Readonly<Record<string, never>>;
  readonly [StateChanged]: StateChangedPayload;
}

export type MessageOf<P> = { [K in keyof P]: { readonly type: K; readonly payload: P[K] } }[keyof P];
export type HostToWebview = MessageOf<HostToWebviewPayloads>;
export type WebviewToHost = MessageOf<WebviewToHostPayloads>;

// ---------------------------------------------------------------------------------------------------------
// Validation. Readers throw `InvalidMessage` with the path of the first bad field; the two public parsers
// turn that into `{error}`, so callers branch once and never see a half-checked message.

/** `tokenCount`: how many tokens the inspection shown with this source has. */
function source(value: unknown, path: string, tokenCount: number): InspectionSource {
  const f = record(value, path);
  const windowed = nullable((v, p) => ({ droppedTokens: integer(record(v, p).droppedTokens, `${p}.droppedTokens`, 0) }));
  return {
    uri: string(f.uri, `${path}.uri`),
    windowed: windowed(f.windowed, `${path}.windowed`),
    randomWeights: boolean(f.randomWeights, `${path}.randomWeights`),
    ...(f.generated === undefined ? {} : { generated: nullable(generatedSpan(tokenCount))(f.generated, `${path}.generated`) }),
  };
}

/** The baseline must be of the same tokens and model as the ablated inspection it is compared with. */
function ablatedView(shown: Inspection): Reader<AblatedView> {
  return (value, path) => {
    const f = record(value, path);
    const setting = ablationSetting(f.setting, `${path}.setting`);
    const baseline = inspection(f.baseline, `${path}.baseline`);
    const sameTokens = baseline.tokens.length === shown.tokens.length && baseline.tokens.every((t, i) => t.id === shown.tokens[i].id);
    if (!sameTokens) fail(`${path}.baseline.tokens`, 'the tokens of the ablated inspection', baseline.tokens.length);
    if (baseline.model.name !== shown.model.name) fail(`${path}.baseline.model.name`, JSON.stringify(shown.model.name), baseline.model.name);
    return { setting, baseline };
  };
}

/** A pinned baseline must be of the model the shown inspection is of: its numbers are compared. */
function pinnedView(shown: Inspection): Reader<PinnedView> {
  return (value, path) => {
    const f = record(value, path);
    const pinned = inspection(f.inspection, `${path}.inspection`);
    if (pinned.model.name !== shown.model.name) fail(`${path}.inspection.model.name`, JSON.stringify(shown.model.name), pinned.model.name);
    return { uri: string(f.uri, `${path}.uri`), inspection: pinned };
  };
}

function generatedSpan(tokenCount: number): Reader<GeneratedSpan> {
  return (value, path) => {
    const f = record(value, path);
    const start = integer(f.start, `${path}.start`, 0);
    const end = integer(f.end, `${path}.end`, start);
    return end <= tokenCount ? { start, end } : fail(`${path}.end`, `a token position up to ${tokenCount}`, end);
  };
}

function fraction(value: unknown, path: string): number {
  const x = finite(value, path);
  return x >= 0 && x <= 1 ? x : fail(path, 'a number in [0, 1]', value);
}

function samplingSettings(value: unknown, path: string): SamplingSettings {
  const f = record(value, path);
  const temperature = finite(f.temperature, `${path}.temperature`);
  if (temperature < 0) fail(`${path}.temperature`, 'a non-negative number', temperature);
  return { temperature, topK: integer(f.topK, `${path}.topK`, 1), topP: fraction(f.topP, `${path}.topP`) };
}

/** Also used by the webview to check what `getState()` hands back after a reload. */
export function parsePanelViewState(value: unknown, path = 'state'): PanelViewState {
  const f = record(value, path);
  const head = record(f.attentionHead, `${path}.attentionHead`);
  const target = nullable(tokenPiece);
  return {
    tab: oneOf(panelTabs)(f.tab, `${path}.tab`),
    tokenColour: oneOf(tokenColourModes)(f.tokenColour, `${path}.tokenColour`),
    showTokenIds: boolean(f.showTokenIds, `${path}.showTokenIds`),
    selectedToken: nullable((v, p) => integer(v, p, 0))(f.selectedToken, `${path}.selectedToken`),
    sampling: samplingSettings(f.sampling, `${path}.sampling`),
    lensColour: oneOf(lensColourModes)(f.lensColour, `${path}.lensColour`),
    lensTarget: target(f.lensTarget, `${path}.lensTarget`),
    attentionHead: {
      layer: integer(head.layer, `${path}.attentionHead.layer`, 0),
      head: nullable((v, p) => integer(v, p, 0))(head.head, `${path}.attentionHead.head`),
    },
    attentionView: oneOf(attentionViews)(f.attentionView, `${path}.attentionView`),
    // Absent from states saved before the toggle existed.
    followSelection: f.followSelection === undefined ? false : boolean(f.followSelection, `${path}.followSelection`),
  };
}

const hostToWebview: { readonly [K in keyof HostToWebviewPayloads]: Reader<HostToWebviewPayloads[K]> } = {
  [InspectionShow]: (v, path) => {
    const f = record(v, path);
    const shown = inspection(f.inspection, `${path}.inspection`);
    return {
      inspection: shown,
      source: source(f.source, `${path}.source`, shown.tokens.length),
      ...(f.ablated === undefined ? {} : { ablated: nullable(ablatedView(shown))(f.ablated, `${path}.ablated`) }),
      ...(f.pinned === undefined ? {} : { pinned: nullable(pinnedView(shown))(f.pinned, `${path}.pinned`) }),
    };
  },
  [InspectionTokens]: (v, path) => {
    const f = record(v, path);
    const reading = tokenReading(f.reading, `${path}.reading`);
    return { reading, source: source(f.source, `${path}.source`, reading.tokens.length) };
  },
  [InspectionProgress]: (v, path) => {
    const f = record(v, path);
    return { message: string(f.message, `${path}.message`), fraction: nullable(fraction)(f.fraction, `${path}.fraction`) };
  },
  [InspectionError]: (v, path) => ({ message: string(record(v, path).message, `${path}.message`) }),
  [EditorCursor]: (v, path) => ({ offset: nullable((x, p) => integer(x, p, 0))(record(v, path).offset, `${path}.offset`) }),
  [LensTargetResult]: (v, path) => {
    const f = record(v, path);
    const outcome = record(f.outcome, `${path}.outcome`);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      outcome:
        'error' in outcome
          ? { error: string(outcome.error, `${path}.outcome.error`) }
          : {
              piece: tokenPiece(outcome.piece, `${path}.outcome.piece`),
              // The shape is checked against itself here; the webview matches it to the inspection it shows.
              target: lensTargetOfOwnShape(outcome.target, `${path}.outcome.target`),
            },
    };
  },
  [AttentionPatternResult]: (v, path) => {
    const f = record(v, path);
    const outcome = record(f.outcome, `${path}.outcome`);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      layer: integer(f.layer, `${path}.layer`, 0),
      head: nullable((x, p) => integer(x, p, 0))(f.head, `${path}.head`),
      // Checked against itself here (n·(n+1)/2 entries); the webview matches it to the inspection it shows.
      outcome: 'error' in outcome ? { error: string(outcome.error, `${path}.outcome.error`) } : { pattern: patternOfOwnShape(outcome.pattern, `${path}.outcome.pattern`) },
    };
  },
  [WhyResult]: answer('report', attributionReport),
  [HeadsResult]: answer('catalogue', headCatalogue),
  [HeadWritesResult]: answer('writes', headWrites),
  [PatchResult]: answer('report', patchReport),
  [RoutesResult]: answer('routes', routeImportances),
  [TokenResolved]: (v, path) => {
    const f = record(v, path);
    const outcome = record(f.outcome, `${path}.outcome`);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      outcome: 'error' in outcome ? { error: string(outcome.error, `${path}.outcome.error`) } : tokenPiece(outcome, `${path}.outcome`),
    };
  },
};

/** `{requestId, outcome: {error} | {[key]: T}}`: the host's answer to a request of the page. */
function answer<K extends string, T>(key: K, read: Reader<T>): Reader<{ readonly requestId: number; readonly outcome: { readonly error: string } | Readonly<Record<K, T>> }> {
  return (v, path) => {
    const f = record(v, path);
    const outcome = record(f.outcome, `${path}.outcome`);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      outcome: 'error' in outcome ? { error: string(outcome.error, `${path}.outcome.error`) } : ({ [key]: read(outcome[key], `${path}.outcome.${key}`) } as Record<K, T>),
    };
  };
}

/** A message that says all it says by its type: an object, its fields ignored. */
function noFields(value: unknown, path: string): Readonly<Record<string, never>> {
  record(value, path);
  return {};
}

/** The host joins this to a folder the user picks; a bare name keeps it from naming another place. */
function bareFilename(value: unknown, path: string): string {
  const filename = string(value, path);
  if (!/^[\w.-]+$/.test(filename) || filename.startsWith('.')) fail(path, 'a bare file name', filename);
  return filename;
}

function patternOfOwnShape(value: unknown, path: string): Float32Tensor {
  const heads = dimOf(value, path, 2, 0);
  const packed = dimOf(value, path, 2, 1);
  return layerPattern(heads, packedPatternTokens(packed))(value, path);
}

function lensTargetOfOwnShape(value: unknown, path: string): LensTarget {
  const dims = record(record(value, path).prob, `${path}.prob`).dims;
  if (!Array.isArray(dims) || dims.length !== 2) fail(`${path}.prob.dims`, '[point, position]', dims);
  return lensTarget(value, path, integer(dims[0], `${path}.prob.dims[0]`, 1), integer(dims[1], `${path}.prob.dims[1]`, 1));
}

const webviewToHost: { readonly [K in keyof WebviewToHostPayloads]: Reader<WebviewToHostPayloads[K]> } = {
  [PanelReady]: noFields,
  [TokenReveal]: (v, path) => {
    const f = record(v, path);
    const start = integer(f.start, `${path}.start`, 0);
    return { start, end: integer(f.end, `${path}.end`, start) };
  },
  [LensTargetRequest]: (v, path) => {
    const f = record(v, path);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      text: string(f.text, `${path}.text`),
      id: nullable((x, p) => integer(x, p, 0))(f.id, `${path}.id`),
    };
  },
  [AttentionPatternRequest]: (v, path) => {
    const f = record(v, path);
    return { requestId: integer(f.requestId, `${path}.requestId`, 0), layer: integer(f.layer, `${path}.layer`, 0), head: nullable((x, p) => integer(x, p, 0))(f.head, `${path}.head`) };
  },
  [WhyAttribute]: (v, path) => {
    const f = record(v, path);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      of: oneOf(attributedTexts)(f.of, `${path}.of`),
      position: integer(f.position, `${path}.position`, 0),
      targetId: integer(f.targetId, `${path}.targetId`, 0),
      versusId: nullable((x, p) => integer(x, p, 0))(f.versusId, `${path}.versusId`),
    };
  },
  [HeadsRequest]: (v, path) => ({ requestId: integer(record(v, path).requestId, `${path}.requestId`, 0) }),
  [HeadWritesRequest]: (v, path) => {
    const f = record(v, path);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      position: integer(f.position, `${path}.position`, 0),
      layer: integer(f.layer, `${path}.layer`, 0),
      head: integer(f.head, `${path}.head`, 0),
    };
  },
  [RoutesRequest]: (v, path) => ({ requestId: integer(record(v, path).requestId, `${path}.requestId`, 0) }),
  [TokenResolve]: (v, path) => {
    const f = record(v, path);
    return { requestId: integer(f.requestId, `${path}.requestId`, 0), text: string(f.text, `${path}.text`) };
  },
  [AblationSet]: (v, path) => ({ ablation: ablationSetting(record(v, path).ablation, `${path}.ablation`) }),
  [ComparePin]: (v, path) => ({ pin: boolean(record(v, path).pin, `${path}.pin`) }),
  [PatchRequest]: (v, path) => {
    const f = record(v, path);
    return {
      requestId: integer(f.requestId, `${path}.requestId`, 0),
      hook: oneOf(PATCH_HOOKS)(f.hook, `${path}.hook`),
      targetId: integer(f.targetId, `${path}.targetId`, 0),
      versusId: nullable((x, p) => integer(x, p, 0))(f.versusId, `${path}.versusId`),
    };
  },
  [ExportSave]: (v, path) => {
    const f = record(v, path);
    return {
      format: oneOf(exportFormats)(f.format, `${path}.format`),
      filename: bareFilename(f.filename, `${path}.filename`),
      data: string(f.data, `${path}.data`),
      encoding: oneOf(['utf8', 'base64'] as const)(f.encoding, `${path}.encoding`),
    };
  },
  [InspectionCancel]: noFields,
  [InspectionExport]: (v, path) => ({ filename: bareFilename(record(v, path).filename, `${path}.filename`) }),
  [StateChanged]: (v, path) => ({ state: parsePanelViewState(record(v, path).state, `${path}.state`) }),
};

export function parseWith<P>(readers: { readonly [K in keyof P]: Reader<P[K]> }, raw: unknown): MessageOf<P> | { error: string } {
  try {
    const message = record(raw, 'message');
    const type = message.type;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(readers, type)) {
      return { error: `unknown message type ${JSON.stringify(type)}` };
    }
    const read = readers[type as keyof P] as Reader<unknown>;
    return { type, payload: read(message.payload, 'payload') } as MessageOf<P>;
  } catch (error) {
    if (error instanceof InvalidMessage) return { error: error.message };
    throw error;
  }
}

/** Validate a message the host received from the panel webview. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | { error: string } {
  return parseWith<WebviewToHostPayloads>(webviewToHost, raw);
}

/** Validate a message the panel webview received from the host. */
export function parseHostMessage(raw: unknown): HostToWebview | { error: string } {
  return parseWith<HostToWebviewPayloads>(hostToWebview, raw);
}
