// When the model process keeps dying, restarting it at once only loops. After `maxCrashes` crashes within
// `windowMs`, restarts wait `backoffMs`, doubling with each loop that follows up to `maxBackoffMs`; the user
// is told once. A process that then runs a whole window without crashing starts again from `backoffMs`.

export interface RestartPolicyOptions {
  readonly maxCrashes: number;
  readonly windowMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly now: () => number;
}

const DEFAULTS: RestartPolicyOptions = { maxCrashes: 3, windowMs: 60_000, backoffMs: 10_000, maxBackoffMs: 5 * 60_000, now: Date.now };

export class RestartPolicy {
  private readonly options: RestartPolicyOptions;
  private crashes: number[] = [];
  private blockedUntil = 0;
  private lastCrash = -Infinity;
  private backoff: number;

  constructor(options: Partial<RestartPolicyOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.backoff = this.options.backoffMs;
  }

  /** Records a crash; returns the message to show once when restarts are now held back, else null. */
  recordCrash(): string | null {
    const now = this.options.now();
    // Without this the back-off only ever grew: one bad minute early in a long session made every later
    // loop wait the maximum. Calm is measured from the end of the last back-off, when the process could run.
    if (now - Math.max(this.lastCrash, this.blockedUntil) >= this.options.windowMs) this.backoff = this.options.backoffMs;
    this.lastCrash = now;
    this.crashes = [...this.crashes.filter((t) => now - t < this.options.windowMs), now];
    if (this.crashes.length < this.options.maxCrashes) return null;
    this.blockedUntil = now + this.backoff;
    const message = `The model process crashed ${this.crashes.length} times in ${Math.round(this.options.windowMs / 1000)} s; Glassbox waits ${Math.round(this.backoff / 1000)} s before starting it again. See Glassbox: Show Log.`;
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs);
    this.crashes = [];
    return message;
  }

  /** Why a restart is held back right now, or null when the process may start. */
  blockedMessage(): string | null {
    const left = this.blockedUntil - this.options.now();
    if (left <= 0) return null;
    return `The model process keeps crashing; Glassbox will try again in ${Math.ceil(left / 1000)} s. See Glassbox: Show Log.`;
  }
}
