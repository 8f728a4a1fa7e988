// Activation only: cheap, synchronous set-up. The model process starts on first use, not here.

import * as vscode from 'vscode';
import { GlassboxContext } from './glassbox-context';
import { registerModelCommands } from './model-commands';

export function activate(extension: vscode.ExtensionContext): void {
  const context = new GlassboxContext(extension);
  extension.subscriptions.push(context, ...registerModelCommands(context));
}

export function deactivate(): void {}
