// The one Inspect panel: shows an inspection beside the editor, maps tokens back to the document both
// ways, answers the page's requests (lens targets, exports), and re-inspects when asked. The page only
// renders; every message from it is validated here.

import * as vscode from 'vscode';
import { GlassboxError, toErrorInfo } from '../protocol/errors';
import { headOfLayer, withoutPatterns, type Inspection, type ModelSummary } from '../protocol/inspection';
import { inspectionToJson } from '../protocol/inspection-json';
import type { Float32Tensor } from '../protocol/tensor';
import { ablationProblem, isAblating, type AblationSetting } from '../protocol/interventions';
import type { InspectResult, Progress } from '../protocol/model-messages';
import {
  AblationSet,
  ComparePin,
  PatchRequest,
  PatchResult,
  RoutesRequest,
  RoutesResult,
  TokenResolve,
  TokenResolved,
  AttentionPatternRequest,
  AttentionPatternResult,
  EditorCursor,
  ExportSave,
  InspectionError,
  InspectionExport,
  InspectionProgress,
  InspectionTokens,
  InspectionCancel,
  InspectionShow,
  LensTargetRequest,
  LensTargetResult,
  WhyAttribute,
  WhyResult,
  HeadsRequest,
  HeadsResult,
  HeadWritesRequest,
  HeadWritesResult,
  PanelReady,
  StateChanged,
  TokenReveal,
  parseWebviewMessage,
  type AttentionPatternRequestPayload,
  type ExportSavePayload,
  type HostToWebviewPayloads,
  type LensTargetRequestPayload,
  type PatchRequestPayload,
  type WhyAttributePayload,
  type HeadWritesRequestPayload,
  type PanelViewState,
  type GeneratedSpan,
  type InspectionSource,
} from '../protocol/panel-messages';
import { commonPrefixLength, type CompletionExplanation } from './explain-completion';
import type { GlassboxContext } from './glassbox-context';
import { panelHtml, panelResourceRoots } from './panel-html';
import { withOwnBuffers } from './webview-buffers';

export const INSPECT_PANEL_TYPE = 'glassbox.inspect';

/** What was inspected: the document, where the inspected text starts in it, and the text itself. */
export interface InspectedText {
  readonly uri: vscode.Uri;
  readonly documentVersion: number;
  /** Document offset of the first inspected character (after windowing). */
  readonly baseOffset: number;
  readonly text: string;
  /** Set when the text is a prompt and a completion the model wrote after it (Explain this completion). */
  readonly completion?: ExplainedCompletion;
}

export interface ExplainedCompletion {
  /** The inspected tokens' ids: a lens target is computed over these, not over `text` tokenized again. */
  readonly ids: readonly number[];
  /** Token positions [start, end) the model generated. */
  readonly generated: { readonly start: number; readonly end: number };
  /**
   * How many characters of `text`, from its start, the document has at `baseOffset` (at `documentVersion`):
   * the prompt, and the completion too once it was accepted. Tokens past it are not in the document.
   */
  readonly inDocument: number;
}

/** How much of the inspected text, from its start, is the document's own text. */
export function documentLength(target: InspectedText): number {
  return target.completion?.inDocument ?? target.text.length;
}

export interface ShownInspection {
  readonly target: InspectedText;
  /** The text in the model as it is: what the hover reads, and the baseline of an ablated view. */
  readonly result: InspectResult;
  /** Set when the panel shows the text in the model with units ablated: the setting and that run. */
  readonly ablated: { readonly setting: AblationSetting; readonly result: InspectResult } | null;
}

const TOP_K = 10;

/** Characters a GPT-2 token spans in English prose (code runs shorter): a text's token count, guessed. */
const CHARS_PER_TOKEN_GUESS = 4;

/**
 * The CLI's JSON spells every attention weight out as a number: 12 × 12 heads at 512 tokens is 38 million of
 * them, several hundred megabytes of text. Past this many the panel refuses and names the CLI.
 */
const MAX_JSON_WEIGHTS = 12_000_000;

export class InspectPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private shown: ShownInspection | null = null;
  private revealed: vscode.Selection | null = null;
  private viewState: PanelViewState | null = null;
  /** The units the panel ablates, kept for every text inspected until the user changes them. */
  private ablation: AblationSetting = { ablations: [], mode: 'zero' };
  /** The text pinned as the Compare tab's baseline (the clean run of a patch), in the model as it is. */
  private pinned: ShownInspection | null = null;
  private running: AbortController | null = null;
  /** Seconds a token the last inspection took, from request to answer: the next one's first estimate. */
  private secondsPerToken: number | null = null;
  /** The last layer's patterns asked of the model for the shown inspection (a long text carries one layer). */
  private fetchedLayer: { readonly shown: ShownInspection; readonly layer: number; readonly pattern: Float32Tensor } | null = null;
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    borderColor: new vscode.ThemeColor('editor.findMatchBorder'),
    borderStyle: 'solid',
    borderWidth: '1px',
  });
  private readonly disposables: vscode.Disposable[] = [this.highlight];
  private readonly shownEmitter = new vscode.EventEmitter<ShownInspection>();
  /** Fires each time a new inspection is shown (the hover answers from the last one). */
  readonly onDidShow = this.shownEmitter.event;

  constructor(
    private readonly context: GlassboxContext,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.disposables.push(
      this.shownEmitter,
      vscode.window.onDidChangeTextEditorSelection((event) => this.cursorMoved(event)),
      context.onModelChanged((loaded) => void this.modelChanged(loaded.summary)),
    );
  }

  /**
   * After a switch to another model the panel shows the same text read by the new one, not the old model's
   * numbers under its header: the view state is fitted to the new shape when the inspection arrives.
   */
  private async modelChanged(summary: ModelSummary): Promise<void> {
    // Units the new model does not have are dropped; the chips of the next inspection show what is left.
    const fitting = this.ablation.ablations.filter((a) => ablationProblem(a, summary) === null);
    if (fitting.length < this.ablation.ablations.length) {
      const dropped = this.ablation.ablations.length - fitting.length;
      void vscode.window.showInformationMessage(`Glassbox: ${dropped} ablated unit${dropped === 1 ? ' is' : 's are'} not in ${summary.name} and no longer ablated.`);
      this.ablation = { ...this.ablation, ablations: fitting };
    }
    // A pin's numbers are another model's: compared with the new model's they would mean nothing.
    if (this.pinned && this.pinned.result.inspection.model.name !== summary.name) this.pinned = null;
    const shown = this.shown;
    if (!shown || !this.panel || shown.result.inspection.model.name === summary.name) return;
    const document = await vscode.workspace.openTextDocument(shown.target.uri);
    const { text, completion } = shown.target;
    const input = completion ? { text, ids: completion.ids } : { text };
    await this.run(document, shown.target.baseOffset, input, (target) => (completion ? { ...target, completion } : target));
  }

  get lastShown(): ShownInspection | null {
    return this.shown;
  }

  /** Whether `selection` is one the panel made by revealing a token (following it would inspect one token). */
  isRevealedSelection(selection: vscode.Selection): boolean {
    return this.revealed !== null && selection.isEqual(this.revealed);
  }

  /** The panel is open with its "Follow selection" toggle on. */
  get followingSelection(): boolean {
    return this.panel !== null && (this.viewState?.followSelection ?? false);
  }

  /** Inspects `text` from `document` starting at `startOffset`, in the panel (opened or revealed). */
  async inspect(document: vscode.TextDocument, startOffset: number, text: string): Promise<void> {
    await this.run(document, startOffset, { text }, (target) => target);
  }

  /**
   * Inspects a prompt and the completion the model wrote after it, as the exact tokens, with the generated ones
   * marked in the panel. The completion may not be in the document (a suggestion not yet accepted).
   */
  async explain(document: vscode.TextDocument, explanation: CompletionExplanation): Promise<void> {
    const { text, ids, generatedFrom, documentOffset } = explanation;
    const version = document.version;
    await this.run(document, documentOffset, { text, ids }, (target, result) => {
      const dropped = result.droppedTokens;
      const inspected = result.inspection.tokens.length;
      // Read now: the document may have changed while the model ran, and then none of it is known to match.
      const there = document.version === version ? document.getText(new vscode.Range(document.positionAt(target.baseOffset), document.positionAt(target.baseOffset + target.text.length))) : '';
      return {
        ...target,
        completion: {
          ids: ids.slice(dropped),
          generated: { start: Math.max(0, generatedFrom - dropped), end: inspected },
          inDocument: commonPrefixLength(there, target.text),
        },
      };
    });
  }

  /** One inspection into the panel; `complete` adds what the caller knows about the text inspected. */
  private async run(
    document: vscode.TextDocument,
    startOffset: number,
    input: { readonly text: string; readonly ids?: readonly number[] },
    complete: (target: InspectedText, result: InspectResult) => InspectedText,
  ): Promise<void> {
    const { text } = input;
    // The version the text was read at: edits made while the model runs must not be mapped onto it.
    const documentVersion = document.version;
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    this.reveal();
    const started = Date.now();
    // A determinate bar from the start when the last inspection's pace gives an estimate (an animated one took
    // CPU from the model in a browser without a GPU); the engine's own estimate once the tokens are in.
    const guessed = Math.ceil(text.length / CHARS_PER_TOKEN_GUESS);
    let ticking: ReturnType<typeof setInterval> | undefined;
    if (this.secondsPerToken !== null && this.context.currentModel) ticking = this.tickProgress((eta) => `Reading about ${guessed.toLocaleString('en-US')} tokens (${eta})…`, 0, guessed * this.secondsPerToken);
    else this.post(InspectionProgress, { message: this.context.currentModel ? 'Running the model…' : 'Loading the model…', fraction: null });
    // The tokens come first when the text is long enough: the page paints them while the rest runs.
    const onProgress = (progress: Progress): void => {
      if (progress.kind !== 'tokens' || abort.signal.aborted) return;
      const { reading, droppedTokens } = progress;
      this.post(InspectionTokens, { reading, source: this.sourceOf(document.uri, droppedTokens, null) });
      clearInterval(ticking);
      const tokens = reading.tokens.length.toLocaleString('en-US');
      ticking = this.tickProgress((eta) => `${tokens} tokens: probabilities shown; computing the logit lens and attention (${eta})…`, (Date.now() - started) / 1000, progress.secondsLeft);
    };
    try {
      // Not when units are ablated: the tokens painted first would be the unablated model's.
      const tokensFirst = !isAblating(this.ablation);
      const result = await this.context.request('inspect/run', { ...input, ...this.inspectSettings(), windowToContext: true, tokensFirst }, { signal: abort.signal, onProgress, what: 'inspecting' });
      clearInterval(ticking);
      if (abort.signal.aborted) return;
      this.secondsPerToken = (Date.now() - started) / 1000 / Math.max(1, result.inspection.tokens.length);
      const target: InspectedText = {
        uri: document.uri,
        documentVersion,
        baseOffset: startOffset + result.textOffset,
        text: text.slice(result.textOffset),
      };
      const setting = this.ablation;
      const ablated = isAblating(setting) ? await this.inspectAblated(target.text, result, setting, abort.signal) : null;
      if (abort.signal.aborted) return;
      this.show({ target: complete(target, result), result, ablated });
    } catch (error) {
      const { code, message } = toErrorInfo(error);
      if (code === 'cancelled' || abort.signal.aborted) return;
      this.post(InspectionError, { message });
    } finally {
      clearInterval(ticking);
      if (this.running === abort) this.running = null;
    }
  }

  /**
   * A determinate bar while an inspection runs: the share of the estimated time gone (`done` seconds already,
   * `left` more expected), never quite full, once a second (as often as the seconds left it words change);
   * `describe` words it with the time left. Every tick repaints part of the page, in a browser without a GPU
   * on the CPU the model needs.
   */
  private tickProgress(describe: (eta: string) => string, done: number, left: number): ReturnType<typeof setInterval> {
    const since = Date.now();
    const tick = (): void => {
      const elapsed = done + (Date.now() - since) / 1000;
      const remaining = done + left - elapsed;
      this.post(InspectionProgress, { message: describe(remaining >= 1 ? `about ${Math.ceil(remaining)} s left` : 'nearly done'), fraction: Math.min(0.95, elapsed / Math.max(done + left, 0.001)) });
    };
    tick();
    return setInterval(tick, 1000);
  }

  /** What every inspection of the panel asks for: its top-k, lens target, and the attention layer it shows. */
  private inspectSettings(): { topK: number; targetId: number | null; patternLayers: number[] } {
    // A long text's patterns come a layer at a time: the one the panel shows comes along.
    return { topK: TOP_K, targetId: this.viewState?.lensTarget?.id ?? null, patternLayers: [this.viewState?.attentionHead.layer ?? 0] };
  }

  /** The same tokens as `plain` (its window of `text`) in the model with `setting`'s units ablated. */
  private async inspectAblated(text: string, plain: InspectResult, setting: AblationSetting, signal?: AbortSignal): Promise<{ setting: AblationSetting; result: InspectResult }> {
    const ids = idsOf(plain);
    const result = await this.context.request('inspect/run', { text, ids, ...this.inspectSettings(), windowToContext: false, ablation: setting }, { signal, what: 'inspecting the ablated model' });
    // Its offsets are within the window `plain` already cut from the document's text.
    return { setting, result: { ...result, droppedTokens: plain.droppedTokens, textOffset: plain.textOffset } };
  }

  /**
   * The page's chips changed: show the text in the model with these units ablated, or as it is when none are.
   * The unablated run is kept, so clearing the chips costs nothing and each change one ablated run.
   */
  private async setAblation(setting: AblationSetting): Promise<void> {
    const shown = this.shown;
    const model = shown?.result.inspection.model;
    const problem = model ? setting.ablations.map((a) => ablationProblem(a, model)).find((p) => p !== null) : undefined;
    if (problem) {
      this.post(InspectionError, { message: `Cannot ablate ${problem}.` });
      return;
    }
    this.ablation = setting;
    if (!shown) return;
    if (!isAblating(setting)) {
      this.show({ ...shown, ablated: null });
      return;
    }
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    this.post(InspectionProgress, { message: `Running the model with ${setting.ablations.length} unit${setting.ablations.length === 1 ? '' : 's'} ablated…`, fraction: null });
    try {
      const ablated = await this.inspectAblated(shown.target.text, shown.result, setting, abort.signal);
      if (!abort.signal.aborted && this.shown === shown) this.show({ ...shown, ablated });
    } catch (error) {
      const { code, message } = toErrorInfo(error);
      if (code !== 'cancelled' && !abort.signal.aborted) this.post(InspectionError, { message });
    } finally {
      if (this.running === abort) this.running = null;
    }
  }

  /** Reveals the panel with the token at a document offset highlighted (from the hover's link). */
  focusOffset(documentOffset: number): void {
    if (!this.shown) return;
    this.reveal();
    this.post(EditorCursor, { offset: documentOffset - this.shown.target.baseOffset });
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private show(shown: ShownInspection): void {
    this.shown = shown;
    this.fetchedLayer = null;
    this.sendShown();
    this.shownEmitter.fire(shown);
  }

  private sendShown(): void {
    if (!this.shown) return;
    const { target, result, ablated } = this.shown;
    this.post(InspectionShow, {
      // Patterns go a head at a time, when the page draws one (answerPattern): at 128 tokens of GPT-2 small
      // every layer's weigh 7 MB, and a large message holds up the first paint.
      inspection: withoutPatterns(displayed(this.shown)),
      ablated: ablated ? { setting: ablated.setting, baseline: withoutPatterns(result.inspection) } : null,
      pinned: this.pinned && this.pinned.result.inspection.model.name === result.inspection.model.name
        ? { uri: this.pinned.target.uri.toString(), inspection: withoutPatterns(this.pinned.result.inspection) }
        : null,
      source: this.sourceOf(target.uri, result.droppedTokens, target.completion?.generated ?? null),
    });
  }

  /** Where an inspection's text came from, as the page's banners and links read it. */
  private sourceOf(uri: vscode.Uri, droppedTokens: number, generated: GeneratedSpan | null): InspectionSource {
    return { uri: uri.toString(), windowed: droppedTokens > 0 ? { droppedTokens } : null, randomWeights: this.context.currentModel?.randomWeights ?? false, generated };
  }

  private reveal(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(INSPECT_PANEL_TYPE, 'Glassbox', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(this.extensionUri),
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'glassbox.svg');
    panel.webview.html = panelHtml(panel.webview, this.extensionUri);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.received(raw), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = null;
      this.clearHighlight();
    }, undefined, this.disposables);
    this.panel = panel;
  }

  private post<K extends keyof HostToWebviewPayloads>(type: K, payload: HostToWebviewPayloads[K]): void {
    // Tensors from the model process may be views on the whole message they came in, which VS Code would ship.
    void this.panel?.webview.postMessage({ type, payload: withOwnBuffers(payload) });
  }

  private received(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if ('error' in message) {
      this.context.log.warn(`Ignored a malformed message from the Glassbox panel: ${message.error}`);
      return;
    }
    switch (message.type) {
      case PanelReady:
        this.sendShown();
        return;
      case TokenReveal:
        void this.revealInEditor(message.payload.start, message.payload.end);
        return;
      case LensTargetRequest:
        void this.answerTarget(message.payload);
        return;
      case AttentionPatternRequest:
        void this.answerPattern(message.payload);
        return;
      case WhyAttribute:
        void this.answerWhy(message.payload);
        return;
      case HeadsRequest:
        void this.answerHeads(message.payload.requestId);
        return;
      case HeadWritesRequest:
        void this.answerHeadWrites(message.payload);
        return;
      case AblationSet:
        void this.setAblation(message.payload.ablation);
        return;
      case ComparePin:
        this.pinned = message.payload.pin ? this.shown : null;
        this.sendShown();
        return;
      case PatchRequest:
        void this.answerPatch(message.payload);
        return;
      case RoutesRequest:
        void this.answerRoutes(message.payload.requestId);
        return;
      case TokenResolve:
        void this.answerResolve(message.payload.requestId, message.payload.text);
        return;
      case InspectionCancel:
        this.running?.abort();
        return;
      case InspectionExport:
        void this.exportInspection(message.payload.filename);
        return;
      case ExportSave:
        void this.save(message.payload);
        return;
      case StateChanged:
        this.viewState = message.payload.state;
        return;
    }
  }

  private async revealInEditor(start: number, end: number): Promise<void> {
    if (!this.shown) return;
    const { target } = this.shown;
    if (end > documentLength(target)) {
      vscode.window.setStatusBarMessage('Glassbox: the model wrote this token; it is not in the document.', 4000);
      return;
    }
    const document = await vscode.workspace.openTextDocument(target.uri);
    if (document.version !== target.documentVersion) {
      void vscode.window.showInformationMessage('Glassbox: the document changed since it was inspected; run Inspect Selection again to map tokens to it.');
      return;
    }
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    const range = new vscode.Range(document.positionAt(target.baseOffset + start), document.positionAt(target.baseOffset + end));
    this.revealed = new vscode.Selection(range.start, range.end);
    editor.selection = this.revealed;
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(this.highlight, [range]);
  }

  private clearHighlight(): void {
    for (const editor of vscode.window.visibleTextEditors) editor.setDecorations(this.highlight, []);
  }

  private cursorMoved(event: vscode.TextEditorSelectionChangeEvent): void {
    if (!this.panel || !this.shown) return;
    const { target } = this.shown;
    const document = event.textEditor.document;
    if (document.uri.toString() !== target.uri.toString()) return;
    // A selection marks the token it starts in: its active end sits on the boundary after the last selected
    // token, which is the start of the next one (clicking " fox" in the panel marked " jumps").
    const selection = event.selections[0];
    const offset = document.offsetAt(selection.isEmpty ? selection.active : selection.start) - target.baseOffset;
    const inside = document.version === target.documentVersion && offset >= 0 && offset <= documentLength(target);
    this.post(EditorCursor, { offset: inside ? offset : null });
  }

  /** A lens target for the shown text: its probability and rank at every residual point. */
  private async answerTarget(request: LensTargetRequestPayload): Promise<void> {
    const reply = (outcome: HostToWebviewPayloads[typeof LensTargetResult]['outcome']) => this.post(LensTargetResult, { requestId: request.requestId, outcome });
    if (!this.shown) return reply({ error: 'Inspect some text first.' });
    try {
      const id = request.id ?? (await this.context.request('lens/target', { text: request.text }, { what: 'finding the target token' })).id;
      const shown = this.shown;
      // The shown tokens, in the model the panel shows (ablated or not).
      const result = await this.context.request('inspect/run', { text: shown.target.text, ids: idsOf(shown.result), topK: TOP_K, targetId: id, windowToContext: false, ...ablationOf(shown) }, { what: 'computing the target across layers' });
      const target = result.inspection.lens.target;
      if (!target) throw new GlassboxError('internal', 'The model returned no target values.');
      reply({ piece: result.inspection.pieces[id] ?? { id, text: request.text }, target });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /**
   * One head's full pattern (or its layer's mean) for the shown inspection: cut from the layers the inspection
   * carried, or from the last layer asked of the model (kept: the next head asked is most often of the same
   * layer; at 1,024 tokens a layer is 25 MB).
   */
  private async answerPattern(request: AttentionPatternRequestPayload): Promise<void> {
    const { requestId, layer, head } = request;
    const reply = (outcome: HostToWebviewPayloads[typeof AttentionPatternResult]['outcome']) => this.post(AttentionPatternResult, { requestId, layer, head, outcome });
    const shown = this.shown;
    if (!shown) return reply({ error: 'Inspect some text first.' });
    try {
      const layerPattern = await this.layerPattern(shown, layer);
      if (head !== null && head >= layerPattern.dims[0]) return reply({ error: `Head ${head} does not exist in layer ${layer}.` });
      // The page matches the answer to what it shows; a newer inspection makes it moot.
      if (this.shown === shown) reply({ pattern: headOfLayer(layerPattern, head) });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /** A layer's full patterns ([head, n·(n+1)/2]) of what the panel shows (the ablated run when there is one). */
  private async layerPattern(shown: ShownInspection, layer: number): Promise<Float32Tensor> {
    const carried = displayed(shown).attention.patterns[layer];
    if (carried) return carried;
    if (this.fetchedLayer?.shown === shown && this.fetchedLayer.layer === layer) return this.fetchedLayer.pattern;
    const { pattern } = await this.context.request('attention/pattern', { ids: idsOf(shown.result), layer, ...ablationOf(shown) }, { what: 'computing an attention pattern' });
    this.fetchedLayer = { shown, layer, pattern };
    return pattern;
  }

  /** The head catalogue for the Heads tab: probes as long as the model's context allows, up to 50 tokens repeated. */
  private async answerHeads(requestId: number): Promise<void> {
    const reply = (outcome: HostToWebviewPayloads[typeof HeadsResult]['outcome']) => this.post(HeadsResult, { requestId, outcome });
    try {
      const { summary } = await this.context.ensureModel();
      const repeatLength = Math.min(50, Math.floor((summary.nCtx - 1) / 2));
      reply({ catalogue: await this.context.request('heads/score', { repeatLength, probes: 4 }, { what: 'scoring the heads' }) });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /** What a head writes at a position of the shown inspection, in the model it shows: the Heads tab's head card. */
  private async answerHeadWrites(request: HeadWritesRequestPayload): Promise<void> {
    const reply = (outcome: HostToWebviewPayloads[typeof HeadWritesResult]['outcome']) => this.post(HeadWritesResult, { requestId: request.requestId, outcome });
    const shown = this.shown;
    if (!shown) return reply({ error: 'Inspect some text first.' });
    try {
      const { position, layer, head } = request;
      const writes = await this.context.request('heads/writes', { ids: idsOf(shown.result), position, layer, head, ...ablationOf(shown) }, { what: 'reading what the head writes' });
      if (this.shown === shown) reply({ writes });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /**
   * Direct logit attribution of a prediction, for the Why tab (of the shown text) and the Compare tab (of the
   * pinned one too). Both in the model the panel shows, the chips' ablations included: compared, their
   * difference is the text's alone.
   */
  private async answerWhy(request: WhyAttributePayload): Promise<void> {
    const reply = (outcome: HostToWebviewPayloads[typeof WhyResult]['outcome']) => this.post(WhyResult, { requestId: request.requestId, outcome });
    const shown = this.shown;
    const pinned = this.pinned;
    if (!shown) return reply({ error: 'Inspect some text first.' });
    const attributed = request.of === 'pinned' ? pinned : shown;
    if (!attributed) return reply({ error: 'Pin a text as the baseline first.' });
    try {
      const ids = idsOf(attributed.result);
      const { position, targetId, versusId } = request;
      if (position >= ids.length) return reply({ error: `The ${request.of} text has no position ${position}.` });
      const report = await this.context.request('attribute/run', { ids, position, targetId, versusId, ...ablationOf(shown) }, { what: 'attributing the prediction' });
      if (this.shown === shown && this.pinned === pinned) reply({ report });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /** The one token a text typed in the Why tab is, or why it is not one. */
  private async answerResolve(requestId: number, text: string): Promise<void> {
    try {
      const token = await this.context.request('lens/target', { text }, { what: 'finding the token' });
      this.post(TokenResolved, { requestId, outcome: token });
    } catch (error) {
      this.post(TokenResolved, { requestId, outcome: { error: toErrorInfo(error).message } });
    }
  }

  /** The information-flow importances of the shown text, in the model as it is (routes of an ablated model are not drawn). */
  private async answerRoutes(requestId: number): Promise<void> {
    const reply = (outcome: HostToWebviewPayloads[typeof RoutesResult]['outcome']) => this.post(RoutesResult, { requestId, outcome });
    const shown = this.shown;
    if (!shown) return reply({ error: 'Inspect some text first.' });
    try {
      const ids = idsOf(shown.result);
      const routes = await this.context.request('routes/run', { ids }, { what: 'tracing information-flow routes' });
      if (this.shown === shown) reply({ routes });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /**
   * A patching sweep from the pinned text (clean) into the shown one (corrupt), in the model as it is: the
   * chips' ablation is a view of the shown text, not part of either run.
   */
  private async answerPatch(request: PatchRequestPayload): Promise<void> {
    const { requestId, hook, targetId, versusId } = request;
    const reply = (outcome: HostToWebviewPayloads[typeof PatchResult]['outcome']) => this.post(PatchResult, { requestId, outcome });
    const shown = this.shown;
    const pinned = this.pinned;
    if (!shown || !pinned) return reply({ error: 'Pin a text as the baseline first.' });
    try {
      const report = await this.context.request('patch/run', { clean: idsOf(pinned.result), corrupt: idsOf(shown.result), hook, targetId, versusId }, { what: 'patching activations' });
      if (this.shown === shown && this.pinned === pinned) reply({ report });
    } catch (error) {
      reply({ error: toErrorInfo(error).message });
    }
  }

  /** The shown inspection (the ablated run when the panel shows one) as `glassbox inspect --json` writes it. */
  private async exportInspection(filename: string): Promise<void> {
    const shown = this.shown;
    if (!shown) return;
    const inspection = displayed(shown);
    const weights = inspection.attention.patterns.reduce((sum, layer) => sum + (layer?.data.length ?? 0), 0);
    if (weights > MAX_JSON_WEIGHTS) {
      void vscode.window.showErrorMessage(
        `Glassbox: the inspection holds ${(weights / 1e6).toFixed(0)} million attention weights, too many to spell out as JSON here; ` +
          'use `glassbox inspect --json` or export the table of one head as CSV.',
      );
      return;
    }
    const json = { ...inspectionToJson(inspection), randomWeights: this.context.currentModel?.randomWeights ?? false };
    await this.save({ format: 'json', filename, data: JSON.stringify(json), encoding: 'utf8' });
  }

  private async save(payload: ExportSavePayload): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const destination = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, payload.filename) : undefined,
      filters: { [payload.format.toUpperCase()]: [payload.format] },
      saveLabel: 'Export',
    });
    if (!destination) return;
    const bytes = payload.encoding === 'base64' ? Buffer.from(payload.data, 'base64') : Buffer.from(payload.data, 'utf8');
    try {
      await vscode.workspace.fs.writeFile(destination, bytes);
    } catch (error) {
      void vscode.window.showErrorMessage(`Glassbox: could not export to ${destination.fsPath}: ${toErrorInfo(error).message}`);
      return;
    }
    this.context.log.info(`Exported ${payload.format.toUpperCase()} to ${destination.fsPath}.`);
    const choice = await vscode.window.showInformationMessage(`Glassbox: exported ${payload.format.toUpperCase()} to ${destination.fsPath}`, 'Open', 'Reveal in Explorer');
    if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', destination);
    if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', destination);
  }
}

/** What the panel shows of `shown`: the ablated run when there is one, else the model as it is. */
function displayed(shown: ShownInspection): Inspection {
  return (shown.ablated?.result ?? shown.result).inspection;
}

/** The `ablation` field of a request about `shown`, in the model the panel shows it in (none without units ablated). */
function ablationOf(shown: ShownInspection): { ablation?: AblationSetting } {
  return shown.ablated ? { ablation: shown.ablated.setting } : {};
}

/** The token ids an inspection read: what every later request about the shown text sends. */
function idsOf(result: InspectResult): number[] {
  return result.inspection.tokens.map((t) => t.id);
}
