// Glassbox: Explain Last Completion and Glassbox: Explain Suggestion — the Inspect panel on the prompt and
// the completion the model wrote after it, with the generated tokens marked.

import * as vscode from 'vscode';
import { PREFIX_WINDOW_CHARS } from './completion-prompt';
import { reusableSuggestion, type CompletionStore, type LastCompletion } from './completion-store';
import { explainCompletion } from './explain-completion';
import type { CompletionHistory, DocumentReader } from './explain-history';
import type { InspectPanel } from './inspect-panel';

export const EXPLAIN_LAST_COMPLETION_COMMAND = 'glassbox.explainLastCompletion';
export const EXPLAIN_SUGGESTION_COMMAND = 'glassbox.explainSuggestion';
/** A context key for menus: true once a completion was shown. */
const HAS_COMPLETION_KEY = 'glassbox.hasCompletion';

export function registerExplainCommands(panel: InspectPanel, store: CompletionStore, history: CompletionHistory): vscode.Disposable[] {
  return [
    // The hover's link names the completion it is over; from the palette, the last one accepted.
    vscode.commands.registerCommand(EXPLAIN_LAST_COMPLETION_COMMAND, (id?: unknown) => {
      const named = typeof id === 'number' ? history.byId(id) : null;
      return explainLastCompletion(panel, named ?? history.accepted(openDocumentReader)?.completion ?? store.last);
    }),
    vscode.commands.registerCommand(EXPLAIN_SUGGESTION_COMMAND, () => explainSuggestion(panel, store.last)),
    store.onDidChange((last) => void vscode.commands.executeCommand('setContext', HAS_COMPLETION_KEY, last !== null)),
  ];
}

/** The text of a document open in the editor, or null. */
export const openDocumentReader: DocumentReader = (documentUri) => {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentUri);
  return document ? (start, end) => document.getText(new vscode.Range(document.positionAt(Math.max(0, start)), document.positionAt(end))) : null;
};

/** A completion accepted (or else the last one shown), wherever it was. */
async function explainLastCompletion(panel: InspectPanel, last: LastCompletion | null): Promise<void> {
  if (!last) {
    void vscode.window.showInformationMessage('Glassbox: no completion to explain yet. Type in an editor until GPT-2’s ghost text appears, then accept it or run Explain Suggestion.');
    return;
  }
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(vscode.Uri.parse(last.documentUri));
  } catch {
    void vscode.window.showInformationMessage('Glassbox: the document of the last completion is closed, so it cannot be explained.');
    return;
  }
  await explain(panel, document, last);
}

/** The suggestion at the cursor: the last one shown, if the text before the cursor still leads to it. */
async function explainSuggestion(panel: InspectPanel, last: LastCompletion | null): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const document = editor?.document;
  const offset = editor ? editor.document.offsetAt(editor.selection.active) : 0;
  const applies =
    document !== undefined &&
    reusableSuggestion(last, {
      documentUri: document.uri.toString(),
      offset,
      prefix: document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - PREFIX_WINDOW_CHARS)), document.positionAt(offset))),
    }) !== undefined;
  if (!applies || !last) {
    void vscode.window.showInformationMessage('Glassbox: no suggestion at the cursor. Wait for GPT-2’s ghost text and run Explain Suggestion again, or Explain Last Completion for one you accepted.');
    return;
  }
  await explain(panel, document, last);
}

async function explain(panel: InspectPanel, document: vscode.TextDocument, last: LastCompletion): Promise<void> {
  const explanation = explainCompletion(last);
  if (!explanation) {
    void vscode.window.showInformationMessage('Glassbox: the completion starts with part of a character, which cannot be shown on its own.');
    return;
  }
  await panel.explain(document, explanation);
}
