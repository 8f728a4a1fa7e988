// Activation only: everything that lives as long as the extension is owned by the context object.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Glassbox', { log: true });
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand('glassbox.showLog', () => log.show()),
  );
}

export function deactivate(): void {}
