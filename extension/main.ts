// Activation only: cheap, synchronous set-up. The model process starts on first use, not here.

import * as vscode from 'vscode';
import { registerCompletions } from './completion-provider';
import { CompletionStore } from './completion-store';
import { GlassboxContext } from './glassbox-context';
import { registerInspectCommand } from './inspect-command';
import { InspectPanel } from './inspect-panel';
import { registerModelCommands } from './model-commands';
import { SHOW_TOKEN_COMMAND, TokenHoverProvider } from './token-hover';

export function activate(extension: vscode.ExtensionContext): void {
  const context = new GlassboxContext(extension);
  // The last inline completion, kept for explaining it.
  const completions = new CompletionStore();
  const panel = new InspectPanel(context, extension.extensionUri);
  extension.subscriptions.push(
    context,
    panel,
    ...registerModelCommands(context),
    ...registerCompletions(context, completions),
    registerInspectCommand(panel),
    vscode.languages.registerHoverProvider({ pattern: '**' }, new TokenHoverProvider(context, panel)),
    vscode.commands.registerCommand(SHOW_TOKEN_COMMAND, (offset: unknown) => {
      if (typeof offset === 'number') panel.focusOffset(offset);
    }),
  );
}

export function deactivate(): void {}
