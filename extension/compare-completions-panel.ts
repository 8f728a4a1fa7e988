// Glassbox: Compare Completions — the text before the cursor continued by the model as it is and with the
// steering, side by side in a panel of its own, each continuation openable in Explain Completion. It never
// changes a document: only a completion the user accepts does.

import * as vscode from 'vscode';
import { toErrorInfo } from '../protocol/errors';
import {
  ComparisonExplain,
  ComparisonReady,
  ComparisonShow,
  ComparisonStatus,
  ComparisonSteer,
  parseComparisonWebviewMessage,
  type ComparedSide,
  type ComparisonHostPayloads,
  type ComparisonStatusPayload,
  type CompletionComparison,
} from '../protocol/comparison-messages';
import type { CompareParams, CompareResult } from '../protocol/model-messages';
import { PREFIX_WINDOW_CHARS } from './completion-prompt';
import { comparisonParams, comparisonSampling, explainContinuation, type ComparisonContext } from './completion-comparison';
import { config } from './config';
import type { GlassboxContext } from './glassbox-context';
import type { InspectPanel } from './inspect-panel';
import { panelHtml, panelResourceRoots } from './panel-html';
import { STEER_COMMAND, type SteeringState } from './steering';

export const COMPARE_COMMAND = 'glassbox.compareCompletions';
const COMPARE_PANEL_TYPE = 'glassbox.compareCompletions';
/** How much of the context's end the view shows above the two continuations. */
const CONTEXT_TAIL_CHARS = 120;

interface Shown {
  readonly context: ComparisonContext;
  readonly params: CompareParams;
  readonly result: CompareResult;
  readonly comparison: CompletionComparison;
}

export class CompareCompletionsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  /** The context last compared: a new steering compares it again while the panel is open. */
  private context: ComparisonContext | null = null;
  private shown: Shown | null = null;
  private status: ComparisonStatusPayload | null = null;
  private running: AbortController | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly glassbox: GlassboxContext,
    private readonly steering: SteeringState,
    private readonly inspect: InspectPanel,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.disposables.push(
      vscode.commands.registerCommand(COMPARE_COMMAND, () => this.compareAtCursor()),
      steering.onDidChange(() => {
        if (this.panel && this.context) void this.run(this.context);
      }),
    );
  }

  /**
   * Compares the continuations of the text before the cursor of the active editor; with none (a view has the
   * focus, as after its own Steer Completions… button), the context compared last.
   */
  async compareAtCursor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      if (this.context) return this.run(this.context);
      void vscode.window.showInformationMessage('Glassbox: put the cursor after the text to continue in an editor, then run Compare Completions.');
      return;
    }
    const { document } = editor;
    const offset = document.offsetAt(editor.selection.active);
    const prefix = document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - PREFIX_WINDOW_CHARS)), editor.selection.active));
    await this.run({ documentUri: document.uri.toString(), offset, prefix });
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async run(context: ComparisonContext): Promise<void> {
    this.context = context;
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    this.reveal();
    const steering = this.steering.current;
    if (!steering) return this.setStatus({ kind: 'no-steering' });
    this.setStatus({ kind: 'running', message: this.glassbox.currentModel ? 'Generating both continuations…' : 'Loading the model…' });
    try {
      const { summary } = await this.glassbox.ensureModel();
      const params = comparisonParams(context, config.completions(), summary.nCtx, steering);
      if (!params) return this.setStatus({ kind: 'failed', message: 'There is no text before the cursor to continue.' });
      const result = await this.glassbox.request('complete/compare', params, { signal: abort.signal, what: 'comparing completions' });
      if (abort.signal.aborted) return;
      const prompt = params.prompt.slice(result.textOffset);
      const comparison: CompletionComparison = {
        model: summary.name,
        randomWeights: this.glassbox.currentModel?.randomWeights ?? false,
        steering,
        contextTail: prompt.slice(Math.max(0, prompt.length - CONTEXT_TAIL_CHARS)),
        sampling: comparisonSampling(params),
        unsteered: result.unsteered,
        steered: result.steered,
      };
      this.shown = { context, params, result, comparison };
      this.status = null;
      this.sendShown();
    } catch (error) {
      const { code, message } = toErrorInfo(error);
      if (code !== 'cancelled' && !abort.signal.aborted) this.setStatus({ kind: 'failed', message });
    } finally {
      if (this.running === abort) this.running = null;
    }
  }

  private setStatus(status: ComparisonStatusPayload): void {
    this.status = status;
    this.post(ComparisonStatus, status);
  }

  private sendShown(): void {
    if (this.status) this.post(ComparisonStatus, this.status);
    else if (this.shown) this.post(ComparisonShow, this.shown.comparison);
  }

  /**
   * One continuation in the Inspect panel, its tokens marked as generated. The panel reads text with the
   * model as it is, so a steered continuation is explained unsteered: the notice says so.
   */
  private async explain(side: ComparedSide): Promise<void> {
    const shown = this.shown;
    if (!shown) return;
    const explanation = explainContinuation(shown.context, shown.params, shown.result, shown.result[side]);
    if (!explanation) {
      void vscode.window.showInformationMessage(`Glassbox: the ${side} continuation has no text to explain.`);
      return;
    }
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(vscode.Uri.parse(shown.context.documentUri));
    } catch {
      void vscode.window.showInformationMessage('Glassbox: the document of this comparison is closed, so it cannot be explained.');
      return;
    }
    if (side === 'steered') {
      void vscode.window.showInformationMessage('Glassbox: the Inspect panel reads the steered continuation with the model as it is, not steered: its probabilities there are the unsteered model’s.');
    }
    await this.inspect.explain(document, explanation);
  }

  private reveal(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_PANEL_TYPE, 'Compare Completions', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(this.extensionUri),
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'glassbox.svg');
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, { script: 'compare-completions.js', title: 'Compare Completions' });
    panel.webview.onDidReceiveMessage((raw: unknown) => this.received(raw), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.running?.abort();
      this.panel = null;
      this.context = null;
    }, undefined, this.disposables);
    this.panel = panel;
  }

  private post<K extends keyof ComparisonHostPayloads>(type: K, payload: ComparisonHostPayloads[K]): void {
    void this.panel?.webview.postMessage({ type, payload });
  }

  private received(raw: unknown): void {
    const message = parseComparisonWebviewMessage(raw);
    if ('error' in message) {
      this.glassbox.log.warn(`Ignored a malformed message from the Compare Completions view: ${message.error}`);
      return;
    }
    switch (message.type) {
      case ComparisonReady:
        this.sendShown();
        return;
      case ComparisonExplain:
        void this.explain(message.payload.side);
        return;
      case ComparisonSteer:
        void vscode.commands.executeCommand(STEER_COMMAND);
        return;
    }
  }
}
