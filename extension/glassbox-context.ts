// Everything that lives as long as the extension: the log, the model process client, the status bar and
// the model in use. Commands, panels and providers get this object instead of reaching for globals.

import * as vscode from 'vscode';
import { GlassboxError, toErrorInfo } from '../protocol/errors';
import { DEFAULT_HUB_ENDPOINT, type LoadParams, type LoadResult, type ModelMethod, type ModelRequests, type ModelSource, type Progress } from '../protocol/model-messages';
import { config } from './config';
import { ModelClient } from './model-client';
import { modelLabel, parseModelSetting } from './model-source';
import { ModelStatusBar, type ModelActivity } from './model-status-bar';
import { hubProxy } from './proxy-settings';

export const MODEL_ACTIONS_COMMAND = 'glassbox.modelActions';

export class GlassboxContext implements vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('Glassbox', { log: true });
  private readonly statusBar = new ModelStatusBar(MODEL_ACTIONS_COMMAND);
  private readonly client: ModelClient;
  private readonly disposables: vscode.Disposable[] = [];
  private source: ModelSource;
  private readonly demoModelDir: string;
  private model: LoadResult | null = null;
  private loading: Promise<LoadResult> | null = null;
  private activity: ModelActivity = { kind: 'idle' };
  private busy = 0;
  private tokensPerSecond: number | null = null;
  private readonly modelChanged = new vscode.EventEmitter<LoadResult>();
  /** Fires when a (new) model is ready. */
  readonly onModelChanged = this.modelChanged.event;

  constructor(private readonly extension: vscode.ExtensionContext) {
    this.demoModelDir = vscode.Uri.joinPath(extension.extensionUri, 'demo-model').fsPath;
    this.source = parseModelSetting(config.model(), this.demoModelDir);
    this.client = new ModelClient({
      modulePath: vscode.Uri.joinPath(extension.extensionUri, 'dist', 'model-process.js').fsPath,
      log: (message) => this.log.info(message),
      onState: (state) => {
        if (state.kind === 'crashed') this.setActivity({ kind: 'error', message: state.message });
      },
    });
    this.disposables.push(
      this.log,
      this.statusBar,
      this.modelChanged,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (config.affectsModel(event)) void this.reload();
      }),
    );
    this.render();
  }

  get currentModel(): LoadResult | null {
    return this.model;
  }

  /** The model, loading it (and downloading it once, with a cancellable notification) on first use. */
  ensureModel(): Promise<LoadResult> {
    this.loading ??= this.load();
    return this.loading;
  }

  async reload(): Promise<void> {
    this.source = parseModelSetting(config.model(), this.demoModelDir);
    this.model = null;
    // The last completion's speed was another model's.
    this.tokensPerSecond = null;
    this.loading = null;
    this.render();
    try {
      await this.ensureModel();
    } catch {
      // Reported by load(); a reload the user asked for must not throw into the command.
    }
  }

  /** A request to the model, with the status bar showing it is busy; loads the model first if needed. */
  async request<M extends Exclude<ModelMethod, 'model/load'>>(
    method: M,
    params: ModelRequests[M]['params'],
    options: { signal?: AbortSignal; onProgress?: (p: Progress) => void; what?: string } = {},
  ): Promise<ModelRequests[M]['result']> {
    await this.ensureModel();
    this.busy++;
    this.setActivity({ kind: 'busy', what: options.what ?? method });
    try {
      const result = await this.client.request(method, params, options);
      if (method === 'complete/run') this.tokensPerSecond = (result as ModelRequests['complete/run']['result']).tokensPerSecond || this.tokensPerSecond;
      return result;
    } finally {
      this.busy--;
      if (this.busy === 0 && this.activity.kind === 'busy') this.setActivity({ kind: 'ready' });
    }
  }

  dispose(): void {
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }

  /** What the model process needs to load `source`; a proxy setting that is not a URL throws. */
  private loadParams(source: ModelSource): LoadParams {
    const proxy = source.kind === 'hub' ? hubProxy(config.hubEndpoint() ?? DEFAULT_HUB_ENDPOINT, config.proxySources()) : undefined;
    this.log.info(`Loading ${source.kind === 'hub' ? `${source.repo} from the Hugging Face Hub (downloaded once${proxy ? `, through the proxy ${new URL(proxy.url).host}` : ''})` : `the model in ${source.path}`}.`);
    return {
      source,
      device: config.device(),
      storageDir: this.extension.globalStorageUri.fsPath,
      ...(config.hubEndpoint() ? { hubEndpoint: config.hubEndpoint() } : {}),
      ...(proxy ? { proxy } : {}),
    };
  }

  private async load(): Promise<LoadResult> {
    const source = this.source;
    this.setActivity({ kind: 'loading' });
    const title = `Glassbox: loading ${modelLabel(source)}`;
    try {
      const params = this.loadParams(source);
      const result = await vscode.window.withProgress(
        { location: source.kind === 'hub' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window, title, cancellable: source.kind === 'hub' },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          return this.client.load(params, {
            signal: abort.signal,
            onProgress: (p) => {
              if (p.kind === 'download') {
                const percent = p.overallTotal > 0 ? (100 * p.overallReceived) / p.overallTotal : 0;
                progress.report({ message: `downloading ${p.file} (${mb(p.overallReceived)} of ${mb(p.overallTotal)} MB)`, increment: percent - reported });
                reported = percent;
                this.setActivity({ kind: 'downloading', percent });
              } else if (p.kind === 'load') {
                progress.report({ message: p.message });
                this.setActivity({ kind: 'loading', detail: p.message });
              }
            },
          });
        },
      );
      if (source !== this.source) throw new GlassboxError('cancelled', 'Another model was chosen meanwhile.');
      this.model = result;
      this.log.info(`${result.summary.name} is ready on ${result.backend === 'cpu' ? 'the CPU' : 'WebGPU'} (${result.summary.nLayer} layers, ${result.summary.nHead} heads, d_model ${result.summary.nEmbd}, context ${result.summary.nCtx}) in ${result.seconds.toFixed(1)} s.`);
      if (result.randomWeights) this.log.warn('This model has random weights (a generated demo model): its predictions mean nothing.');
      this.setActivity({ kind: 'ready' });
      this.modelChanged.fire(result);
      return result;
    } catch (error) {
      this.loading = null;
      const { message, code } = toErrorInfo(error);
      if (code === 'cancelled') {
        this.setActivity({ kind: 'idle' });
      } else {
        this.log.error(message);
        this.setActivity({ kind: 'error', message });
        void vscode.window.showErrorMessage(`Glassbox: ${message}`, 'Select Model…', 'Show Log').then((choice) => {
          if (choice === 'Select Model…') void vscode.commands.executeCommand('glassbox.selectModel');
          if (choice === 'Show Log') this.log.show();
        });
      }
      throw error;
    }
  }

  private setActivity(activity: ModelActivity): void {
    this.activity = activity;
    this.render();
  }

  private render(): void {
    this.statusBar.show({
      label: modelLabel(this.source),
      backend: this.model?.backend ?? null,
      randomWeights: this.model?.randomWeights ?? false,
      activity: this.activity,
      tokensPerSecond: this.tokensPerSecond,
    });
  }
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
