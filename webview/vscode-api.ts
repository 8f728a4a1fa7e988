// The webview's one handle on VS Code: typed posting to the host and the state VS Code keeps for the page
// while it is hidden or reloaded. `acquireVsCodeApi` may be called only once per page, so it lives here.

import { parsePanelViewState, type PanelViewState, type WebviewToHostPayloads } from '../protocol/panel-messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostChannel {
  post<K extends keyof WebviewToHostPayloads>(type: K, payload: WebviewToHostPayloads[K]): void;
  /** The state saved before a hide or reload, if it is still readable. */
  savedState(): PanelViewState | null;
  saveState(state: PanelViewState): void;
}

export function connectToHost(): HostChannel {
  const api = acquireVsCodeApi();
  return {
    post: (type, payload) => api.postMessage({ type, payload }),
    savedState: () => {
      const saved = api.getState();
      if (saved === undefined || saved === null) return null;
      try {
        return parsePanelViewState(saved);
      } catch (error) {
        // A state written by an older version of the panel: start fresh rather than half-restore.
        console.warn('Glassbox: ignoring saved panel state', error);
        return null;
      }
    },
    saveState: (state) => api.setState(state),
  };
}
