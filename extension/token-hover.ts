// Hover over inspected text: the token under the mouse, how likely the model found it, and what it expected
// instead. Answers from the reading surprisal highlighting tinted the text by, else from the last inspection;
// with `glassbox.hover.enabled` it inspects the hovered line itself, one request at a time and never queued
// (a hover that would wait gets nothing).

import * as vscode from 'vscode';
import type { Inspection } from '../protocol/inspection';
import { config } from './config';
import type { GlassboxContext } from './glassbox-context';
import { documentLength, type InspectPanel } from './inspect-panel';
import { chooseInspectText } from './inspect-text';
import type { SurprisalHighlighting } from './surprisal-highlighting';
import { factsMarkdown, tokenAt, type TokenFacts } from './token-at';

export const SHOW_TOKEN_COMMAND = 'glassbox.showTokenInPanel';

interface LineInspection {
  readonly key: string;
  readonly baseOffset: number;
  readonly inspection: Inspection;
}

export class TokenHoverProvider implements vscode.HoverProvider {
  private line: LineInspection | null = null;
  private inFlight = false;

  constructor(
    private readonly context: GlassboxContext,
    private readonly panel: InspectPanel,
    private readonly surprisal: SurprisalHighlighting,
  ) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const offset = document.offsetAt(position);
    // Tinted text first: the hover explains the tint the user is looking at, with the numbers it came from
    // (read with the view's context, which the panel's selection or the line alone would not have).
    const tinted = this.surprisal.readingAt(document);
    const read = tinted && tokenAt(tinted.reading, tinted.baseOffset, offset);
    if (read) return hover(document, read, tinted.reading.tokens.length, false);
    const shown = this.panel.lastShown;
    if (shown && shown.target.uri.toString() === document.uri.toString() && shown.target.documentVersion === document.version) {
      const facts = tokenAt(shown.result.inspection, shown.target.baseOffset, offset);
      // An explained suggestion not yet accepted: its tokens are not the text that follows in the document.
      const inDocument = facts !== null && facts.end <= shown.target.baseOffset + documentLength(shown.target);
      if (facts && inDocument) return hover(document, facts, shown.result.inspection.tokens.length, true);
    }
    if (!config.hoverEnabled() || !this.context.currentModel) return undefined;
    const line = await this.inspectLine(document, position.line, token);
    if (!line || token.isCancellationRequested) return undefined;
    const facts = tokenAt(line.inspection, line.baseOffset, offset);
    return facts ? hover(document, facts, line.inspection.tokens.length, false) : undefined;
  }

  private async inspectLine(document: vscode.TextDocument, lineNumber: number, token: vscode.CancellationToken): Promise<LineInspection | null> {
    const key = `${document.uri.toString()}@${document.version}:${lineNumber}`;
    if (this.line?.key === key) return this.line;
    if (this.inFlight) return null;
    const range = document.lineAt(lineNumber).range;
    const chosen = chooseInspectText(document.getText(range), 'line');
    if (!chosen.ok) return null;
    this.inFlight = true;
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      const result = await this.context.request('inspect/run', { text: chosen.text, topK: 5, targetId: null, windowToContext: true }, { signal: abort.signal, what: 'hover' });
      this.line = { key, baseOffset: document.offsetAt(range.start) + chosen.skipped + result.textOffset, inspection: result.inspection };
      return this.line;
    } catch {
      return null;
    } finally {
      cancel.dispose();
      this.inFlight = false;
    }
  }
}

function hover(document: vscode.TextDocument, facts: TokenFacts, count: number, inPanel: boolean): vscode.Hover {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [SHOW_TOKEN_COMMAND] };
  md.appendMarkdown(factsMarkdown(facts, count));
  if (inPanel) {
    const args = encodeURIComponent(JSON.stringify([facts.start]));
    md.appendMarkdown(`[Show in the Glassbox panel](command:${SHOW_TOKEN_COMMAND}?${args})`);
  }
  return new vscode.Hover(md, new vscode.Range(document.positionAt(facts.start), document.positionAt(facts.end)));
}
