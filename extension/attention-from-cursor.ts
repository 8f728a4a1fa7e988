// Toggle Attention from Cursor: the tokens before the cursor tinted by how much the token at the cursor attends
// to them — the mean over every head of every layer, a layer's mean over its heads, or one head (chosen from
// the status bar item). The visible text (and a margin) is inspected once per edit or scroll; its patterns
// are kept here reduced to the chosen source, so a cursor move only reads them (no request).

import * as vscode from 'vscode';
import { overlayEditor, overlayText } from './active-editor';
import { attendedLevels, ATTENTION_LEVELS, cursorToken, sourcePattern, type AttentionSource } from './cursor-attention';
import type { GlassboxContext } from './glassbox-context';
import type { Token } from '../protocol/inspection';

export const TOGGLE_ATTENTION_COMMAND = 'glassbox.toggleAttentionFromCursor';
export const CHOOSE_ATTENTION_SOURCE_COMMAND = 'glassbox.chooseAttentionSource';
const READ_DEBOUNCE_MS = 400;
const ALPHAS = [0.14, 0.24, 0.36, 0.5, 0.66];

/** What was read: where in which document version, its tokens, and the chosen source's packed pattern. */
interface Reading {
  readonly document: vscode.TextDocument;
  readonly version: number;
  readonly base: number;
  readonly length: number;
  readonly tokens: readonly Token[];
  readonly source: string;
  readonly pattern: Float32Array;
}

const sourceKey = (s: AttentionSource): string => `${s.layer}:${s.head}`;

export function describeSource(s: AttentionSource): string {
  if (s.layer === null) return 'every head of every layer (mean)';
  return s.head === null ? `layer ${s.layer}, mean over its heads` : `layer ${s.layer}, head ${s.head}`;
}

export class AttentionFromCursor implements vscode.Disposable {
  private readonly levels = ALPHAS.map((alpha) => vscode.window.createTextEditorDecorationType({ backgroundColor: `rgba(40, 120, 230, ${alpha})`, borderRadius: '2px' }));
  private readonly at = vscode.window.createTextEditorDecorationType({ border: '1px solid rgba(40, 120, 230, 0.9)', borderRadius: '2px' });
  private readonly item = vscode.window.createStatusBarItem('glassbox.attention', vscode.StatusBarAlignment.Right, 97);
  private readonly disposables: vscode.Disposable[] = [];
  private on = false;
  private source: AttentionSource = { layer: null, head: null };
  private reading: Reading | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: AbortController | null = null;

  constructor(private readonly context: GlassboxContext) {
    this.item.name = 'Glassbox attention from cursor';
    this.item.command = CHOOSE_ATTENTION_SOURCE_COMMAND;
    this.disposables.push(
      vscode.commands.registerCommand(TOGGLE_ATTENTION_COMMAND, () => this.toggle()),
      vscode.commands.registerCommand(CHOOSE_ATTENTION_SOURCE_COMMAND, () => this.chooseSource()),
      vscode.window.onDidChangeTextEditorSelection((event) => event.textEditor === overlayEditor() && this.cursorMoved(event.textEditor)),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.window.onDidChangeTextEditorVisibleRanges((event) => event.textEditor === overlayEditor() && this.schedule()),
      vscode.workspace.onDidChangeTextDocument((event) => event.document === overlayEditor()?.document && this.schedule()),
      context.onModelChanged(() => {
        this.source = { layer: null, head: null };
        this.schedule(0);
      }),
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.running?.abort();
    for (const d of [...this.levels, this.at, this.item, ...this.disposables]) d.dispose();
  }

  private toggle(): void {
    this.on = !this.on;
    if (this.on) {
      this.status('reading…');
      this.item.show();
      this.schedule(0);
    } else {
      clearTimeout(this.timer);
      this.running?.abort();
      this.reading = null;
      this.item.hide();
      for (const editor of vscode.window.visibleTextEditors) this.clear(editor);
    }
    vscode.window.setStatusBarMessage(`Glassbox: attention from the cursor ${this.on ? 'on' : 'off'}`, 3000);
  }

  private async chooseSource(): Promise<void> {
    const model = this.context.currentModel?.summary;
    if (!model) return;
    type Item = vscode.QuickPickItem & { source: AttentionSource };
    const items: Item[] = [{ label: 'All layers', description: 'mean over every head', source: { layer: null, head: null } }];
    for (let l = 0; l < model.nLayer; l++) {
      items.push({ label: `Layer ${l}`, description: 'mean over its heads', source: { layer: l, head: null } });
      for (let h = 0; h < model.nHead; h++) items.push({ label: `Layer ${l}, head ${h}`, description: `blocks.${l}.attn.hook_pattern`, source: { layer: l, head: h } });
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'Glassbox: whose attention from the cursor', placeHolder: describeSource(this.source) });
    if (!picked) return;
    this.source = picked.source;
    if (!this.on) this.toggle();
    else this.schedule(0);
  }

  private schedule(ms = READ_DEBOUNCE_MS): void {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.read(), ms);
  }

  /** A cursor move paints from what was read when it still covers the cursor; anything else reads again. */
  private cursorMoved(editor: vscode.TextEditor): void {
    if (!this.on) return;
    const r = this.reading;
    const offset = editor.document.offsetAt(editor.selection.active);
    if (r && r.document === editor.document && r.version === editor.document.version && r.source === sourceKey(this.source) && offset >= r.base && offset <= r.base + r.length) {
      this.paint(editor, r);
    } else this.schedule();
  }

  private async read(): Promise<void> {
    const editor = overlayEditor();
    if (!editor) return;
    const read = overlayText(editor);
    if (!read) return this.clear(editor);
    const { range, text } = read;
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const { document } = editor;
    const version = document.version;
    const source = this.source;
    this.status('reading…');
    try {
      const options = { signal: abort.signal, what: 'attention from the cursor' };
      const result = await this.context.request('inspect/run', { text, topK: 1, targetId: null, windowToContext: true, patternLayers: [] }, options);
      const ids = result.inspection.tokens.map((t) => t.id);
      const layers = source.layer === null ? Array.from({ length: result.inspection.model.nLayer }, (_, l) => l) : [source.layer];
      // Layer by layer, reduced as each comes (a layer of 1,024 tokens is 25 MB of weights a head count).
      let pattern: Float32Array | null = null;
      for (const layer of layers) {
        if (abort.signal.aborted) return;
        const answer = await this.context.request('attention/pattern', { ids, layer }, options);
        const reduced = sourcePattern([answer.pattern], source.head);
        pattern = pattern ? pattern.map((v, k) => v + reduced[k]) : reduced;
      }
      if (abort.signal.aborted || document.version !== version || overlayEditor() !== editor || !pattern) return;
      const mean = pattern.map((v) => v / layers.length);
      this.reading = { document, version, base: document.offsetAt(range.start) + result.textOffset, length: text.length - result.textOffset, tokens: result.inspection.tokens, source: sourceKey(source), pattern: mean };
      this.paint(editor, this.reading);
    } catch (error) {
      if (!abort.signal.aborted) this.status(error instanceof Error ? error.message : String(error));
    } finally {
      if (this.running === abort) this.running = null;
    }
  }

  private paint(editor: vscode.TextEditor, r: Reading): void {
    const { document } = editor;
    const q = cursorToken(r.tokens, document.offsetAt(editor.selection.active) - r.base);
    if (q === null) return this.clear(editor);
    const range = (t: Token) => new vscode.Range(document.positionAt(r.base + t.start), document.positionAt(r.base + t.end));
    const byLevel = ALPHAS.map(() => [] as vscode.DecorationOptions[]);
    const attended = attendedLevels(r.pattern, q);
    for (const a of attended) byLevel[a.level - 1].push({ range: range(r.tokens[a.index]), hoverMessage: `Glassbox: attention ${(a.weight * 100).toFixed(1)}% from the token at the cursor` });
    this.levels.forEach((type, i) => editor.setDecorations(type, byLevel[i]));
    editor.setDecorations(this.at, [{ range: range(r.tokens[q]) }]);
    this.status(`${attended.length} of ${q} earlier tokens over ${ATTENTION_LEVELS[0] * 100}%`);
  }

  private clear(editor: vscode.TextEditor): void {
    for (const type of [...this.levels, this.at]) editor.setDecorations(type, []);
  }

  private status(state: string): void {
    const s = this.source;
    this.item.text = `$(target) ${s.layer === null ? 'Attention' : s.head === null ? `L${s.layer}` : `L${s.layer}H${s.head}`}`;
    const legend = ATTENTION_LEVELS.map((t, i) => `| ${'█'.repeat(i + 1)} | ≥ ${t * 100}% |`).join('\n');
    this.item.tooltip = new vscode.MarkdownString(
      `**Glassbox: attention from the cursor** — ${describeSource(s)} (${state}).\n\nThe token at the cursor is outlined; earlier tokens are tinted by its attention to them.\n\n| tint | weight |\n|---|---|\n${legend}\n\nClick to choose the layer and head; run the command again to turn it off.`,
    );
  }
}
