// The editor the in-editor overlays (surprisal, attention from the cursor) follow, and the text they read of it.

import * as vscode from 'vscode';
import { linesToRead } from './surprisal-levels';

/** Lines read above what is visible: the visible lines' context (linesToRead says why none below). */
const MARGIN_LINES = 20;

/** The active text editor, or while a panel (the Glassbox one, say) has focus, the first visible one. */
export function overlayEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}

/**
 * The visible lines of `editor` and a margin above (from the document's start when it reaches it), or null
 * when nothing is visible or there is only whitespace to read.
 */
export function overlayText(editor: vscode.TextEditor): { readonly range: vscode.Range; readonly text: string } | null {
  const visible = editor.visibleRanges;
  if (visible.length === 0) return null;
  const { document } = editor;
  const { from, to } = linesToRead(visible[0].start.line, visible[visible.length - 1].end.line, document.lineCount, MARGIN_LINES);
  const range = new vscode.Range(from, 0, to, document.lineAt(to).text.length);
  const text = document.getText(range);
  return text.trim() === '' ? null : { range, text };
}
