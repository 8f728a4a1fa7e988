// Inline completions in every language: VS Code's side of CompletionFlow, and the command that toggles them.
// The provider only returns ghost text; the document changes when the user accepts it, never before.

import * as vscode from 'vscode';
import { config } from './config';
import { CompletionFlow, type CompletionRequest } from './completion-flow';
import { PREFIX_WINDOW_CHARS } from './completion-prompt';
import type { CompletionSettings } from './completion-settings';
import type { CompletionStore } from './completion-store';
import type { GlassboxContext } from './glassbox-context';
import type { SteeringState } from './steering';

export const TOGGLE_COMPLETIONS_COMMAND = 'glassbox.toggleCompletions';

/** The provider, the toggle command and the listeners that resume completions after a model change. */
export function registerCompletions(context: GlassboxContext, store: CompletionStore, steering: SteeringState): vscode.Disposable[] {
  // A settings update takes a while to reach getConfiguration (over a second in code-server); until it has, the
  // toggled value stands, so typing right after the toggle already sees it.
  let toggled: boolean | undefined;
  const settings = (): CompletionSettings => ({ ...config.completions(), ...(toggled === undefined ? {} : { enabled: toggled }) });
  const flow = new CompletionFlow(
    {
      settings,
      contextLength: async () => (await context.ensureModel()).summary.nCtx,
      complete: (params, signal, onToken) => context.request('complete/run', params, { signal, what: 'inline completion', onProgress: (p) => p.kind === 'token' && onToken?.(p) }),
      log: (message) => context.log.warn(message),
      steering: () => steering.current,
      refresh: () => void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger'),
    },
    store,
  );
  return [
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, new GlassboxInlineCompletions(flow)),
    vscode.commands.registerCommand(TOGGLE_COMPLETIONS_COMMAND, async () => {
      const enabled = !settings().enabled;
      toggled = enabled;
      if (!enabled) void vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
      vscode.window.setStatusBarMessage(`Glassbox: inline completions ${enabled ? 'on' : 'off'}`, 3000);
      try {
        await config.setCompletionsEnabled(enabled);
      } finally {
        toggled = undefined;
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (config.affectsCompletions(event) || config.affectsModel(event)) flow.resume();
    }),
    context.onModelChanged(() => flow.resume()),
    // Ghost text from before is the other steering's.
    steering.onDidChange(() => void vscode.commands.executeCommand('editor.action.inlineSuggest.hide')),
  ];
}

class GlassboxInlineCompletions implements vscode.InlineCompletionItemProvider {
  constructor(private readonly flow: CompletionFlow) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    // With the suggest widget open, VS Code shows only ghost text that extends its selected item; GPT-2 knows
    // nothing of that item, so leave the widget alone.
    if (context.selectedCompletionInfo) return undefined;
    const version = document.version;
    const offset = document.offsetAt(position);
    const request: CompletionRequest = {
      documentUri: document.uri.toString(),
      languageId: document.languageId,
      offset,
      prefix: document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - PREFIX_WINDOW_CHARS)), position)),
      lineSuffix: document.lineAt(position.line).text.slice(position.character),
      explicit: context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke,
      cursors: cursorCount(document),
    };
    // A cursor added while the model runs counts too: the suggestion would go to every cursor all the same.
    const current = () => document.version === version && !document.isClosed && cursorCount(document) === 1;
    const suggestion = await this.flow.suggest(request, token, current);
    if (!suggestion) return undefined;
    // An empty range at the cursor: the suggestion is inserted there, replacing nothing.
    return [new vscode.InlineCompletionItem(suggestion, new vscode.Range(position, position))];
  }
}

/**
 * How many cursors the editor asking has. The provider is not told which editor that is: it is the focused
 * one when it shows this document; failing that, of the visible editors showing it, count the most cursors
 * (the safe side, as several cursors get no suggestion).
 */
function cursorCount(document: vscode.TextDocument): number {
  const active = vscode.window.activeTextEditor;
  if (active?.document === document) return active.selections.length;
  return Math.max(1, ...vscode.window.visibleTextEditors.filter((editor) => editor.document === document).map((editor) => editor.selections.length));
}
