// Glassbox: Inspect Selection — the selection, or the current line when nothing is selected — and the
// panel's "Follow selection", which does the same as the selection moves.

import * as vscode from 'vscode';
import { chooseInspectText } from './inspect-text';
import type { InspectPanel } from './inspect-panel';

/** Quiet: following the selection says nothing about empty lines, it just waits for text. */
async function inspectEditor(panel: InspectPanel, editor: vscode.TextEditor, quiet: boolean): Promise<void> {
  const { document, selection } = editor;
  const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
  const chosen = chooseInspectText(document.getText(range), selection.isEmpty ? 'line' : 'selection');
  if (!chosen.ok) {
    if (!quiet) void vscode.window.showInformationMessage(`Glassbox: ${chosen.reason}`);
    return;
  }
  await panel.inspect(document, document.offsetAt(range.start) + chosen.skipped, chosen.text);
}

export function registerInspectCommand(panel: InspectPanel): vscode.Disposable {
  return vscode.commands.registerCommand('glassbox.inspectSelection', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Glassbox: open a file and select some text to inspect.');
      return;
    }
    await inspectEditor(panel, editor, false);
  });
}

const FOLLOW_DEBOUNCE_MS = 400;

/**
 * While the panel's "Follow selection" is on, a selection that settles for a moment is inspected; the panel
 * cancels the inspection it replaces, and the engine re-runs only what changed.
 */
export function followSelection(panel: InspectPanel): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  const listener = vscode.window.onDidChangeTextEditorSelection((event) => {
    if (!panel.followingSelection || event.textEditor.document.uri.scheme === 'output') return;
    const { document, selection } = event.textEditor;
    if (panel.isRevealedSelection(selection)) return;
    // The same text again (the cursor moving along one line) needs no new run.
    const key = `${document.uri.toString()}@${document.version}:${selection.isEmpty ? `line ${selection.active.line}` : `${document.offsetAt(selection.start)}-${document.offsetAt(selection.end)}`}`;
    if (key === last) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      last = key;
      void inspectEditor(panel, event.textEditor, true);
    }, FOLLOW_DEBOUNCE_MS);
  });
  return new vscode.Disposable(() => {
    clearTimeout(timer);
    listener.dispose();
  });
}
