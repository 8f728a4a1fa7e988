// Commands about the model: choose it, reload it, read the log, and the status bar's menu of all three.

import * as vscode from 'vscode';
import { config } from './config';
import { MODEL_ACTIONS_COMMAND, type GlassboxContext } from './glassbox-context';
import { DEMO_MODEL_DETAIL, DEMO_MODEL_SETTING, HUB_MODELS } from './model-source';

export function registerModelCommands(context: GlassboxContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('glassbox.selectModel', () => selectModel()),
    vscode.commands.registerCommand('glassbox.reloadModel', () => context.reload()),
    vscode.commands.registerCommand('glassbox.showLog', () => context.log.show()),
    vscode.commands.registerCommand(MODEL_ACTIONS_COMMAND, async () => {
      const actions = [
        { label: '$(symbol-class) Select Model…', command: 'glassbox.selectModel' },
        { label: '$(refresh) Reload Model', command: 'glassbox.reloadModel' },
        { label: '$(output) Show Log', command: 'glassbox.showLog' },
      ];
      const choice = await vscode.window.showQuickPick(actions, { title: 'Glassbox', placeHolder: config.model() });
      if (choice) await vscode.commands.executeCommand(choice.command);
    }),
  ];
}

async function selectModel(): Promise<void> {
  const current = config.model();
  const items: (vscode.QuickPickItem & { value?: string })[] = [
    ...HUB_MODELS.map((m) => ({ label: m.short, description: m.repo, detail: `${m.detail} · downloaded once from the Hugging Face Hub`, value: m.repo, picked: m.repo === current })),
    { label: DEMO_MODEL_SETTING, description: 'demo GPT-2, offline', detail: DEMO_MODEL_DETAIL, value: DEMO_MODEL_SETTING, picked: current === DEMO_MODEL_SETTING },
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) Local folder…', detail: 'A folder with config.json, model.safetensors and tokenizer.json (works offline)' },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Glassbox: Select Model', placeHolder: `Current: ${current}` });
  if (!choice) return;
  let value = choice.value;
  if (!value) {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this model' });
    if (!folder?.[0]) return;
    value = folder[0].fsPath;
  }
  // Changing the setting reloads the model (GlassboxContext listens for it).
  await config.setModel(value);
}
