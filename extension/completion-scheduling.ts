// Waiting and cancelling in terms of VS Code's CancellationToken, without importing vscode: the token's shape
// is written down here (vscode.CancellationToken satisfies it), and time comes from a clock tests control.

import { systemClock, type Clock } from './clock';

export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * Resolves true after `ms` of quiet, or false as soon as the token is cancelled (VS Code cancels a request
 * when the user types again), so a debounced request that was overtaken never reaches the model.
 */
export function delay(ms: number, token: CancellationLike, clock: Clock = systemClock): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => {
      listener.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const listener = token.onCancellationRequested(() => {
      clock.clearTimeout(timer);
      listener.dispose();
      resolve(false);
    });
  });
}

/**
 * An AbortSignal that follows the token, for the model client (which sends the process a cancel). The
 * controller is there to abort for other reasons too.
 */
export function abortOnCancel(token: CancellationLike): { readonly signal: AbortSignal; readonly controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  const listener = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, controller, dispose: () => listener.dispose() };
}
