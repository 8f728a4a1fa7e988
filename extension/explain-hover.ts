// Hover over a completion the user accepted: a link that explains it. VS Code shows this beside the token
// hover, so it says only what is new: the model wrote this text, and how to see why.

import * as vscode from 'vscode';
import { EXPLAIN_LAST_COMPLETION_COMMAND, openDocumentReader } from './explain-commands';
import type { CompletionHistory } from './explain-history';

export class CompletionHoverProvider implements vscode.HoverProvider {
  constructor(private readonly history: CompletionHistory) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const accepted = this.history.accepted(openDocumentReader, { documentUri: document.uri.toString(), offset: document.offsetAt(position) });
    if (!accepted) return undefined;
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: [EXPLAIN_LAST_COMPLETION_COMMAND] };
    const args = encodeURIComponent(JSON.stringify([accepted.id]));
    md.appendMarkdown(`**Glassbox** · GPT-2 wrote this completion. [Explain it](command:${EXPLAIN_LAST_COMPLETION_COMMAND}?${args}): how likely each token was, what it beat, and which context it read.`);
    return new vscode.Hover(md, new vscode.Range(document.positionAt(accepted.range.start), document.positionAt(accepted.range.end)));
  }
}
