// Stand-ins for time and cancellation in the completion tests: a clock that moves only when told, and a
// token source shaped like VS Code's CancellationTokenSource.

import type { CancellationLike, Clock } from '../../extension/completion-scheduling';

export class FakeClock implements Clock {
  private now = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextHandle = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.now + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing the timers that come due, in order. */
  advance(ms: number): void {
    this.now += ms;
    for (const [handle, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.now) break;
      this.timers.delete(handle);
      timer.callback();
    }
  }
}

export class FakeTokenSource {
  private cancelled = false;
  private readonly listeners = new Set<() => void>();
  readonly token: CancellationLike;

  constructor() {
    const listeners = this.listeners;
    const isCancelled = () => this.cancelled;
    this.token = {
      get isCancellationRequested() {
        return isCancelled();
      },
      onCancellationRequested(listener) {
        listeners.add(listener);
        return { dispose: () => listeners.delete(listener) };
      },
    };
  }

  /** Listeners still registered: each one the code under test forgot to dispose of stays here. */
  get listening(): number {
    return this.listeners.size;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const listener of [...this.listeners]) listener();
  }
}

/** Runs queued promise callbacks (never time: nothing here sleeps). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A promise the test settles by hand. */
export class Deferred<T> {
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}
