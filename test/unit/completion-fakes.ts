// Stand-ins for time and cancellation in the completion and model-client tests: a clock that moves only when
// told, and a token source shaped like VS Code's CancellationTokenSource.

import type { Clock } from '../../extension/clock';
import type { CancellationLike } from '../../extension/completion-scheduling';

interface Timer {
  readonly at: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  private time = 0;
  private readonly timers = new Map<number, Timer>();
  private nextHandle = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward, firing the timers that come due in order, each at its own time (what it reads from
   * now() then); a timer set by one of them fires too if it comes due before the end.
   */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let due = this.firstDue(end); due; due = this.firstDue(end)) {
      const [handle, timer] = due;
      this.timers.delete(handle);
      this.time = timer.at;
      timer.callback();
    }
    this.time = end;
  }

  /** The earliest timer due by `end`; of timers due together, the one set first. */
  private firstDue(end: number): [number, Timer] | undefined {
    let first: [number, Timer] | undefined;
    for (const entry of this.timers) if (entry[1].at <= end && (!first || entry[1].at < first[1].at)) first = entry;
    return first;
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
