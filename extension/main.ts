// Activation only: cheap, synchronous set-up. The model process starts on first use, not here.

import * as vscode from 'vscode';
import { registerCompletions } from './completion-provider';
import { CompareCompletionsPanel } from './compare-completions-panel';
import { CompletionStore } from './completion-store';
import { registerExplainCommands } from './explain-commands';
import { CompletionHistory } from './explain-history';
import { CompletionHoverProvider } from './explain-hover';
import { GlassboxContext } from './glassbox-context';
import { followSelection, registerInspectCommand } from './inspect-command';
import { InspectPanel } from './inspect-panel';
import { registerModelCommands } from './model-commands';
import { registerSteerCommand, SteeringState } from './steering';
import { SurprisalHighlighting } from './surprisal-highlighting';
import { AttentionFromCursor } from './attention-from-cursor';
import { SHOW_TOKEN_COMMAND, TokenHoverProvider } from './token-hover';

export function activate(extension: vscode.ExtensionContext): void {
  const context = new GlassboxContext(extension);
  // The last inline completion, kept for explaining it.
  const completions = new CompletionStore();
  // The completions shown lately, so an accepted one can be explained after the next is shown.
  const explained = new CompletionHistory(completions);
  const panel = new InspectPanel(context, extension.extensionUri);
  const steering = new SteeringState(extension.workspaceState);
  const comparison = new CompareCompletionsPanel(context, steering, panel, extension.extensionUri);
  const surprisal = new SurprisalHighlighting(context);
  extension.subscriptions.push(
    context,
    panel,
    steering,
    comparison,
    ...registerModelCommands(context),
    ...registerCompletions(context, completions, steering),
    registerSteerCommand(steering, async () => (await context.ensureModel()).summary.nLayer, () => comparison.compareAtCursor()),
    surprisal,
    new AttentionFromCursor(context),
    registerInspectCommand(panel),
    followSelection(panel),
    explained,
    ...registerExplainCommands(panel, completions, explained),
    vscode.languages.registerHoverProvider({ pattern: '**' }, new TokenHoverProvider(context, panel, surprisal)),
    vscode.languages.registerHoverProvider({ pattern: '**' }, new CompletionHoverProvider(explained)),
    vscode.commands.registerCommand(SHOW_TOKEN_COMMAND, (offset: unknown) => {
      if (typeof offset === 'number') panel.focusOffset(offset);
    }),
  );
}

export function deactivate(): void {}
