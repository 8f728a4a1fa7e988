// Toggle Surprisal Highlighting: the visible text of the active editor, each token tinted by how surprised
// the model was to see it (surprisal-levels.ts), following scrolling and editing. The visible lines and a
// margin above are read (from the document's start when the margin reaches it); a text longer than the model's
// context keeps its last tokens that fit, so a long view is coloured by a window sliding with the view (the
// model process's windowToContext), and the tokens it dropped get no tint. Debounced and cancellable: a new
// edit or scroll aborts the run in flight. Hovers over the tinted tokens are the existing Glassbox hovers.

import * as vscode from 'vscode';
import type { TokenReading } from '../protocol/inspection';
import { overlayEditor, overlayText } from './active-editor';
import type { GlassboxContext } from './glassbox-context';
import { HIGHLIGHT_MODES, LEVELS, tokenLevels, type HighlightMode } from './surprisal-levels';

export const TOGGLE_SURPRISAL_COMMAND = 'glassbox.toggleSurprisal';
// A read runs only the tokens that changed (tokens/read), so it can follow typing closely.
const DEBOUNCE_MS = 250;
/** Tints of levels 1–5 (0 is untinted): one hue, rising alpha, readable on light and dark themes. */
const ALPHAS = [0.12, 0.22, 0.34, 0.48, 0.64];


export class SurprisalHighlighting implements vscode.Disposable {
  // Closed ranges: text typed next to a tinted token is not tinted as if the model had read it.
  private readonly levels = ALPHAS.map((alpha) => vscode.window.createTextEditorDecorationType({ backgroundColor: `rgba(230, 90, 40, ${alpha})`, borderRadius: '2px', rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed }));
  private readonly item = vscode.window.createStatusBarItem('glassbox.surprisal', vscode.StatusBarAlignment.Right, 98);
  private readonly disposables: vscode.Disposable[] = [];
  private on = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: AbortController | null = null;
  /** What the tints show: the hover over tinted text answers from it, so that both tell the same numbers. */
  private read: { readonly uri: string; readonly version: number; readonly baseOffset: number; readonly reading: TokenReading } | null = null;

  constructor(private readonly context: GlassboxContext) {
    this.item.name = 'Glassbox surprisal';
    this.item.command = TOGGLE_SURPRISAL_COMMAND;
    this.disposables.push(
      vscode.commands.registerCommand(TOGGLE_SURPRISAL_COMMAND, () => this.toggle()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.window.onDidChangeTextEditorVisibleRanges((event) => event.textEditor === overlayEditor() && this.schedule()),
      vscode.workspace.onDidChangeTextDocument((event) => event.document === overlayEditor()?.document && this.schedule()),
      vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('glassbox.surprisal') && this.schedule(0)),
      context.onModelChanged(() => this.schedule(0)),
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.running?.abort();
    for (const d of [...this.levels, this.item, ...this.disposables]) d.dispose();
  }

  /** The reading the tints of `document` (as it is now) come from, with where its tokens start; null when none. */
  readingAt(document: vscode.TextDocument): { readonly baseOffset: number; readonly reading: TokenReading } | null {
    const read = this.read;
    return this.on && read && read.uri === document.uri.toString() && read.version === document.version ? read : null;
  }

  private toggle(): void {
    this.on = !this.on;
    if (this.on) {
      // An item with no text is not shown at all: it says what it does before the first run answers.
      this.render(this.mode(), overlayEditor() ? 'reading…' : 'open an editor');
      this.item.show();
      this.schedule(0);
    } else {
      clearTimeout(this.timer);
      this.running?.abort();
      this.item.hide();
      for (const editor of vscode.window.visibleTextEditors) this.clear(editor);
    }
    vscode.window.setStatusBarMessage(`Glassbox: surprisal highlighting ${this.on ? 'on' : 'off'}`, 3000);
  }

  private schedule(ms = DEBOUNCE_MS): void {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), ms);
  }

  private mode(): HighlightMode {
    const value = vscode.workspace.getConfiguration('glassbox').get<string>('surprisal.colourBy', 'surprisal');
    return (HIGHLIGHT_MODES as readonly string[]).includes(value) ? (value as HighlightMode) : 'surprisal';
  }

  private async update(): Promise<void> {
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
    const mode = this.mode();
    this.render(mode, 'reading…');
    try {
      // Only the next-token distribution: a plain forward, run from where the text departs from the last read.
      // Five guesses a position: the hovers over tinted text show them (readingAt).
      const result = await this.context.request('tokens/read', { text, topK: 5, windowToContext: true }, { signal: abort.signal, what: 'surprisal highlighting' });
      if (abort.signal.aborted || document.version !== version || overlayEditor() !== editor) return;
      const base = document.offsetAt(range.start) + result.textOffset;
      this.read = { uri: document.uri.toString(), version, baseOffset: base, reading: result.reading };
      const byLevel = ALPHAS.map(() => [] as vscode.DecorationOptions[]);
      for (const t of tokenLevels(result.reading, mode)) {
        if (t.level === 0) continue;
        const tokenRange = new vscode.Range(document.positionAt(base + t.start), document.positionAt(base + t.end));
        byLevel[t.level - 1].push({ range: tokenRange });
      }
      this.levels.forEach((type, i) => editor.setDecorations(type, byLevel[i]));
      this.render(mode, `${result.reading.tokens.length} tokens${result.droppedTokens > 0 ? `, the last that fit the context` : ''}`);
    } catch (error) {
      if (!abort.signal.aborted) this.render(mode, error instanceof Error ? error.message : String(error));
    } finally {
      if (this.running === abort) this.running = null;
    }
  }

  private clear(editor: vscode.TextEditor): void {
    for (const type of this.levels) editor.setDecorations(type, []);
  }

  /** The status bar item, with the legend of the current mode in its tooltip. */
  private render(mode: HighlightMode, state: string): void {
    this.item.text = `$(symbol-color) ${mode[0].toUpperCase()}${mode.slice(1)}`;
    const legend = LEVELS[mode].map((meaning, level) => `| ${level === 0 ? 'none' : '█'.repeat(level)} | ${meaning} |`).join('\n');
    this.item.tooltip = new vscode.MarkdownString(`**Glassbox: ${mode} of each token** (${state}); click to turn off.\n\n| tint | ${mode} |\n|---|---|\n${legend}\n\nHover a token for its probability, rank and the model's top guesses.`);
  }
}
