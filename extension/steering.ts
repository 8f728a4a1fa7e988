// Steered completions: the activation addition ghost text is generated with (protocol/interventions.ts states
// the definition), set, saved by name, exported and cleared with "Glassbox: Steer Completions…", and shown
// in the status bar while it is on. Kept in the workspace state: a steering belongs to the work it serves.

import * as vscode from 'vscode';
import { describeSteering, type Steering } from '../protocol/interventions';

export const STEER_COMMAND = 'glassbox.steerCompletions';
const CURRENT_KEY = 'glassbox.steering';
const SAVED_KEY = 'glassbox.savedSteerings';

export class SteeringState implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('glassbox.steering', vscode.StatusBarAlignment.Right, 99);
  private readonly changed = new vscode.EventEmitter<Steering | undefined>();
  /** Fires when the steering is set or cleared. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento) {
    this.item.name = 'Glassbox steering';
    this.item.command = STEER_COMMAND;
    this.render();
  }

  get current(): Steering | undefined {
    return this.memento.get<Steering>(CURRENT_KEY);
  }

  saved(): Record<string, Steering> {
    return this.memento.get<Record<string, Steering>>(SAVED_KEY) ?? {};
  }

  async set(steering: Steering | undefined): Promise<void> {
    await this.memento.update(CURRENT_KEY, steering);
    this.render();
    this.changed.fire(steering);
  }

  async save(name: string, steering: Steering): Promise<void> {
    await this.memento.update(SAVED_KEY, { ...this.saved(), [name]: steering });
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }

  private render(): void {
    const steering = this.current;
    if (!steering) return this.item.hide();
    this.item.text = '$(compass) Steered';
    this.item.tooltip = new vscode.MarkdownString(`Glassbox completions are steered: ${describeSteering(steering)} (activation addition at \`blocks.${steering.layer}.hook_resid_pre\`). Click to change or clear.`);
    this.item.show();
  }
}

/**
 * The command: set a new steering, pick a saved one, save or export, or clear; `compare` (Compare Completions)
 * is offered beside them and once a new steering is set.
 */
export function registerSteerCommand(state: SteeringState, nLayer: () => Promise<number>, compare: () => Promise<void>): vscode.Disposable {
  return vscode.commands.registerCommand(STEER_COMMAND, async () => {
    const current = state.current;
    const saved = state.saved();
    type Item = vscode.QuickPickItem & { run: () => Promise<void> };
    const items: Item[] = [
      { label: '$(add) New steering…', detail: 'Add the difference between two texts’ residual streams while the prompt runs', run: () => ask(state, nLayer, compare) },
      ...Object.entries(saved).map(([name, s]) => ({ label: `$(compass) ${name}`, description: describeSteering(s), run: () => state.set(s) })),
    ];
    if (current) {
      items.push(
        { label: '$(split-horizontal) Compare Completions', description: 'The text before the cursor continued unsteered and steered, side by side', run: compare },
        { label: '$(save) Save the current steering…', description: describeSteering(current), run: () => saveAs(state, current) },
        { label: '$(close) Clear steering', description: 'Completions from the model as it is', run: () => state.set(undefined) },
      );
    }
    if (Object.keys(saved).length > 0) items.push({ label: '$(export) Export saved steerings…', run: () => exportSaved(saved) });
    const choice = await vscode.window.showQuickPick(items, { title: 'Glassbox: Steer Completions', placeHolder: current ? `Now: ${describeSteering(current)}` : 'Completions are not steered' });
    await choice?.run();
  });
}

async function ask(state: SteeringState, nLayer: () => Promise<number>, compare: () => Promise<void>): Promise<void> {
  const layers = await nLayer();
  const add = await vscode.window.showInputBox({ title: 'Steer toward (add)', prompt: 'A text whose residual stream is added, e.g. "Love"', ignoreFocusOut: true });
  if (!add) return;
  const subtract = await vscode.window.showInputBox({ title: 'Steer away from (subtract)', prompt: 'A text whose residual stream is subtracted, e.g. "Hate"', ignoreFocusOut: true });
  if (subtract === undefined || subtract === '') return;
  const layerText = await vscode.window.showInputBox({
    title: 'Layer',
    prompt: `Add at blocks.L.hook_resid_pre, L from 0 to ${layers - 1}`,
    value: String(Math.floor(layers / 2)),
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) < layers ? undefined : `A whole number from 0 to ${layers - 1}`),
  });
  if (layerText === undefined) return;
  const scaleText = await vscode.window.showInputBox({
    title: 'Scale',
    prompt: 'How strongly: the difference is multiplied by this (0 = no steering)',
    value: '4',
    validateInput: (v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? undefined : 'A number, e.g. 4 or -2.5'),
  });
  if (scaleText === undefined) return;
  const steering = { add, subtract, layer: Number(layerText), scale: Number(scaleText) };
  await state.set(steering);
  // Not awaited: the notice stays until dismissed, and the command is done once the steering is set.
  void vscode.window.showInformationMessage(`Glassbox: completions are steered ${describeSteering(steering)}.`, 'Compare Completions').then((choice) => (choice ? compare() : undefined));
}

async function saveAs(state: SteeringState, steering: Steering): Promise<void> {
  const name = await vscode.window.showInputBox({ title: 'Save steering as', value: `${steering.add} − ${steering.subtract}`, validateInput: (v) => (v.trim() ? undefined : 'A name') });
  if (name) await state.save(name.trim(), steering);
}

async function exportSaved(saved: Record<string, Steering>): Promise<void> {
  const uri = await vscode.window.showSaveDialog({ filters: { JSON: ['json'] }, saveLabel: 'Export steerings', defaultUri: vscode.Uri.file('glassbox-steerings.json') });
  if (!uri) return;
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${JSON.stringify(saved, null, 2)}\n`));
  const open = await vscode.window.showInformationMessage(`Glassbox: steerings saved to ${uri.fsPath}`, 'Open');
  if (open) await vscode.window.showTextDocument(uri);
}
