// Glassbox: Inspect Selection — the selection, or the current line when nothing is selected.

import * as vscode from 'vscode';
import { chooseInspectText } from './inspect-text';
import type { InspectPanel } from './inspect-panel';

export function registerInspectCommand(panel: InspectPanel): vscode.Disposable {
  return vscode.commands.registerCommand('glassbox.inspectSelection', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Glassbox: open a file and select some text to inspect.');
      return;
    }
    const { document, selection } = editor;
    const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
    const chosen = chooseInspectText(document.getText(range), selection.isEmpty ? 'line' : 'selection');
    if (!chosen.ok) {
      void vscode.window.showInformationMessage(`Glassbox: ${chosen.reason}`);
      return;
    }
    await panel.inspect(document, document.offsetAt(range.start) + chosen.skipped, chosen.text);
  });
}
