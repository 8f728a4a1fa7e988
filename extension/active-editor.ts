// The editor the in-editor overlays (surprisal, attention from the cursor) follow.

import * as vscode from 'vscode';

/** The active text editor, or while a panel (the Glassbox one, say) has focus, the first visible one. */
export function overlayEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}
