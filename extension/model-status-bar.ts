// The status bar item: which model, on which backend, doing what, and how fast it last generated.
// Clicking it offers the model actions.

import * as vscode from 'vscode';
import type { Backend } from '../protocol/inspection';

export type ModelActivity =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading'; readonly detail?: string }
  | { readonly kind: 'downloading'; readonly percent: number }
  | { readonly kind: 'ready' }
  | { readonly kind: 'busy'; readonly what: string }
  | { readonly kind: 'error'; readonly message: string };

export interface ModelStatus {
  readonly label: string;
  readonly backend: Backend | null;
  readonly randomWeights: boolean;
  readonly activity: ModelActivity;
  readonly tokensPerSecond: number | null;
}

const BACKEND_NAMES: Record<Backend, string> = { cpu: 'CPU', webgpu: 'WebGPU' };

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('glassbox.model', vscode.StatusBarAlignment.Right, 100);

  constructor(command: string) {
    this.item.name = 'Glassbox model';
    this.item.command = command;
  }

  show(status: ModelStatus): void {
    const { activity } = status;
    const backend = status.backend ? ` · ${BACKEND_NAMES[status.backend]}` : '';
    const speed = status.tokensPerSecond !== null && activity.kind === 'ready' ? ` · ${status.tokensPerSecond.toFixed(0)} tok/s` : '';
    // No spinning icons: an animation runs all the while the model works, and in a browser without a GPU
    // (code-server here) it took CPU from the model — an inspection ran 1.5× slower beside one (bench:browser,
    // with and without prefers-reduced-motion). The words say what it is doing.
    const icon = { idle: '$(eye)', loading: '$(sync)', downloading: '$(cloud-download)', ready: '$(eye)', busy: '$(pulse)', error: '$(error)' }[activity.kind];
    const state = {
      idle: '',
      loading: ' · loading',
      downloading: activity.kind === 'downloading' ? ` · downloading ${activity.percent.toFixed(0)}%` : '',
      ready: '',
      busy: ' · busy',
      error: ' · error',
    }[activity.kind];
    this.item.text = `${icon} ${status.label}${backend}${state}${speed}`;
    this.item.backgroundColor = activity.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Glassbox** — ${status.label}\n\n`);
    if (status.backend) tooltip.appendMarkdown(`Running on ${BACKEND_NAMES[status.backend]}.\n\n`);
    if (status.randomWeights) tooltip.appendMarkdown('$(warning) Demo model with **random weights**: the views show the machinery, not anything learned.\n\n');
    if (activity.kind === 'error') tooltip.appendText(`${activity.message}\n\n`);
    if (activity.kind === 'loading' && activity.detail) tooltip.appendText(`${activity.detail}\n\n`);
    if (activity.kind === 'busy') tooltip.appendText(`Working: ${activity.what}\n\n`);
    if (status.tokensPerSecond !== null) tooltip.appendMarkdown(`Last generation: ${status.tokensPerSecond.toFixed(1)} tokens/s\n\n`);
    tooltip.appendMarkdown('Click for model actions.');
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Glassbox model ${status.label}${backend}${state}` };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
