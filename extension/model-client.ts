// The host's end of the model process: forks it on first use, sends typed requests with ids, deadlines and
// cancellation, and restarts it by policy when it dies or stops answering. A cancelled inspection the process
// is already running cannot be interrupted (onnxruntime holds its thread until the run ends, so not even the
// cancel message is read), and a long one would keep every later request waiting: once it has run longer
// than a restart costs, the process is replaced and what was queued behind it is sent to the new one.
//
// Two clocks per request. Its deadline, which kills the process as hung, counts from when the process
// starts it: a busy process that answers is never killed for the time requests spend queued behind its work.
// That wait has a limit of its own, past which the request alone fails, saying how long it waited.
//
// It does not import vscode: its behaviour is tested with a real model process and no editor
// (test/engine/model-process.test.ts), and its timing with a fake process on a fake clock
// (test/unit/model-deadlines.test.ts).

import { fork, type ForkOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { GlassboxError, type ErrorInfo } from '../protocol/errors';
import { parseModelToHost } from '../protocol/model-message-guards';
import { GPT2_SMALL_SHAPE, inspectionFlopsPerToken, type ModelShape } from '../protocol/model-cost';
import type { HostToModel, LoadParams, LoadResult, ModelMethod, ModelRequests, ModelToHost, Progress } from '../protocol/model-messages';
import { systemClock, type Clock } from './clock';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';

export type ClientState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'running'; readonly pid: number }
  | { readonly kind: 'crashed'; readonly message: string };

export interface ModelClientOptions {
  /** The bundled model process (dist/model-process.js). */
  readonly modulePath: string;
  /** VS Code's own Node: the editor's executable with ELECTRON_RUN_AS_NODE, as language clients run. */
  readonly execPath?: string;
  /** How long the process may run a request, from when it starts it, on GPT-2 small (see deadlineScale). */
  readonly deadlinesMs?: Partial<Record<ModelMethod, number>>;
  /**
   * How long a request may wait behind the process's other work before it gives up, on GPT-2 small (bigger
   * models scale it as their deadlines). The process is busy, not hung, so it is kept.
   */
  readonly queueLimitMs?: number;
  readonly restart?: Partial<RestartPolicyOptions>;
  /**
   * How long a cancelled inspection or pattern request may already have run, on GPT-2 small (bigger models
   * scale it as their deadlines), before the process is replaced rather than left to finish it: about what
   * starting a process and loading the model again costs.
   */
  readonly abandonAfterMs?: number;
  readonly log?: (message: string) => void;
  readonly onState?: (state: ClientState) => void;
  /** Starts the model process; tests pass one that returns a fake. */
  readonly fork?: (modulePath: string, options: ForkOptions) => ModelProcess;
  readonly clock?: Clock;
}

/** What the client uses of the model process: a forked ChildProcess, or in tests a fake. */
export interface ModelProcess {
  readonly pid?: number | undefined;
  readonly connected: boolean;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  send(message: HostToModel): boolean;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

const DEFAULT_DEADLINES_MS: Record<ModelMethod, number> = {
  // Downloads report their own stalls; this only catches a process that stopped answering altogether.
  'model/load': 60 * 60_000,
  'inspect/run': 120_000,
  // One plain forward, at most over the context.
  'tokens/read': 60_000,
  // A forward over up to 1,024 tokens when the model process no longer holds the inspection's queries.
  'attention/pattern': 60_000,
  'lens/target': 30_000,
  'complete/run': 60_000,
  // Two generations, the steered one after the steering vector's two forward runs.
  'complete/compare': 120_000,
  'attribute/run': 60_000,
  'heads/score': 120_000,
  // One forward run and one pass over W_U in JavaScript: well under a second on GPT-2 small.
  'heads/writes': 60_000,
  // A sweep of layers × positions runs (batched) on GPT-2 small: seconds at 20 tokens, minutes near 1,024.
  'patch/run': 300_000,
  // One forward run, then L1 proximities of every (position, source, head) in JavaScript: seconds at 1,024 tokens.
  'routes/run': 120_000,
};

/**
 * How many times GPT-2 small's deadlines a model gets: its inspection's cost per token over GPT-2 small's. A
 * 1,024-token inspection of gpt2-xl (8.8×) took over two minutes on the project's 2-core machines, past GPT-2
 * small's deadline; a hang is still caught, later.
 */
export function deadlineScale(model: ModelShape): number {
  return Math.max(1, inspectionFlopsPerToken(model) / inspectionFlopsPerToken(GPT2_SMALL_SHAPE));
}

/**
 * Longer than any request but a load may run on GPT-2 small (inspect/run's 120 s), so a request behind one
 * slow but healthy run still gets its turn; behind a pile of them it fails and says so rather than spin on.
 * Not for model/load: a model switch waits for the load (usually a download) it replaces, which reports its
 * own progress and has its own deadline.
 */
const QUEUE_LIMIT_MS = 180_000;

/** GPT-2 small's model ready time (≤ 3 s, measured 0.9–1.9 s): a restart's cost. */
const ABANDON_AFTER_MS = 3_000;
/** Requests the process runs to the end once started; a generation stops at its next token instead. */
const UNINTERRUPTIBLE: ReadonlySet<ModelMethod> = new Set(['inspect/run', 'attention/pattern']);

type RequestMessage = Extract<HostToModel, { type: 'request' }>;

interface Pending {
  readonly method: ModelMethod;
  readonly resolve: (result: never) => void;
  readonly reject: (error: GlassboxError) => void;
  readonly onProgress?: (progress: Progress) => void;
  /** Fails the request if the process has not started it in time; cleared when it starts. */
  readonly queueTimer: unknown;
  readonly cleanup: () => void;
}

export class ModelClient {
  private child: ModelProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly restartPolicy: RestartPolicy;
  private readonly deadlines: Record<ModelMethod, number>;
  /** The model every request runs on; loaded again, first, after a restart. */
  private loadParams: LoadParams | null = null;
  private loading: Promise<LoadResult> | null = null;
  private disposed = false;
  /**
   * What the current process was sent and has not answered, in the order sent. Cancelled requests stay until
   * the process answers them. The first is the one it is running, since `headSince`, and `runTimer` is its
   * deadline: the process serves one request at a time in the order received (IPC keeps the order), answers
   * one it drops from its queue (cancelled, superseded) at once, and starts the next as soon as it answers
   * one. So the host knows when each request starts without the process saying so, give or take the IPC
   * latency, which only makes a deadline a little more generous. The deadline holds whether or not anyone
   * still wants the answer: a process hung on a cancelled request is hung all the same.
   */
  private sent: { readonly message: RequestMessage; readonly scale: number }[] = [];
  private headSince = 0;
  private runTimer: unknown;
  private readonly clock: Clock;

  constructor(private readonly options: ModelClientOptions) {
    this.restartPolicy = new RestartPolicy(options.restart);
    this.deadlines = { ...DEFAULT_DEADLINES_MS, ...options.deadlinesMs };
    this.clock = options.clock ?? systemClock;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Loads (or switches to) a model; later requests wait for it, and it is loaded again after a restart. */
  load(params: LoadParams, options: RequestOptions = {}): Promise<LoadResult> {
    this.loadParams = params;
    const loading = this.send('model/load', params, options);
    this.loading = loading;
    loading.catch(() => {
      if (this.loading === loading) this.loading = null;
    });
    return loading;
  }

  async request<M extends Exclude<ModelMethod, 'model/load'>>(method: M, params: ModelRequests[M]['params'], options: RequestOptions = {}): Promise<ModelRequests[M]['result']> {
    if (!this.loadParams) throw new GlassboxError('bad-request', 'No model has been chosen yet.');
    const { summary } = await (this.loading ?? this.load(this.loadParams));
    return this.send(method, params, options, deadlineScale(summary));
  }

  dispose(): void {
    this.disposed = true;
    this.failAll(new GlassboxError('cancelled', 'Glassbox is shutting down.'));
    this.release()?.kill('SIGKILL');
  }

  private send<M extends ModelMethod>(method: M, params: ModelRequests[M]['params'], options: RequestOptions, scale = 1): Promise<ModelRequests[M]['result']> {
    if (options.signal?.aborted) return Promise.reject(new GlassboxError('cancelled', 'Cancelled.'));
    let child: ModelProcess;
    try {
      child = this.ensureProcess();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    return new Promise<ModelRequests[M]['result']>((resolve, reject) => {
      const onAbort = () => {
        this.settle(id)?.reject(new GlassboxError('cancelled', 'Cancelled.'));
        if (this.child !== child) return;
        if (this.isAbandonable(id)) this.abandon();
        else if (child.connected) child.send({ type: 'cancel', id });
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const queueLimitMs = (this.options.queueLimitMs ?? QUEUE_LIMIT_MS) * scale;
      this.pending.set(id, {
        method,
        resolve: resolve as (result: never) => void,
        reject,
        onProgress: options.onProgress,
        queueTimer: method === 'model/load' ? undefined : this.clock.setTimeout(() => this.waitedTooLong(id, queueLimitMs), queueLimitMs),
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      try {
        this.transmit(child, { type: 'request', id, method, params }, scale);
      } catch (error) {
        // Params that cannot be cloned (a function inside) throw here. Left pending, the request would wait
        // for an answer that never comes.
        this.settle(id)?.reject(new GlassboxError('bad-request', `The request could not be sent to the model process: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  private ensureProcess(): ModelProcess {
    if (this.disposed) throw new GlassboxError('cancelled', 'Glassbox is shutting down.');
    if (this.child) return this.child;
    const blocked = this.restartPolicy.blockedMessage();
    if (blocked) throw new GlassboxError('process-crashed', blocked);
    this.options.onState?.({ kind: 'starting' });
    const child = (this.options.fork ?? forkProcess)(this.options.modulePath, {
      execPath: this.options.execPath ?? process.execPath,
      // Not the host's own flags (fork's default): a debugged extension host's --inspect port would clash,
      // and loaders such as tsx's only slow the start of a bundled script.
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    // A fresh process has no model: the next request loads it again first.
    this.loading = null;
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.log(`[model process] ${line}`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('exit', (code, signal) => this.exited(child, code, signal));
    child.on('error', (error) => this.log(`Model process error: ${error.message}`));
    return child;
  }

  private receive(raw: unknown): void {
    // A request cancelled here may still be answered (it ended before the cancel reached the process): its
    // answer is read against the method it was sent with, so that it is counted as answered. Ignored, it left
    // the process looking busy with it, and its deadline then killed a process that was idle.
    const message = parseModelToHost(raw, (id) => this.pending.get(id)?.method ?? this.sent.find((s) => s.message.id === id)?.message.method);
    // Only a parsed message has a type. Not `'error' in message`: an 'error' answer has an `error` field too,
    // and testing for it dropped every error the process sent, leaving its request to time out.
    if (!('type' in message)) {
      this.log(`Ignored a malformed message from the model process: ${message.error}`);
      return;
    }
    this.handle(message);
  }

  private handle(message: ModelToHost): void {
    switch (message.type) {
      case 'ready':
        this.options.onState?.({ kind: 'running', pid: message.pid });
        return;
      case 'log':
        this.log(message.message);
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'result':
        this.answered(message.id);
        this.settle(message.id)?.resolve(message.result as never);
        return;
      case 'error':
        if (message.id === null) this.log(`The model process rejected a message: ${message.error.message}`);
        else {
          this.answered(message.id);
          this.settle(message.id)?.reject(toError(message.error));
        }
        return;
    }
  }

  private transmit(child: ModelProcess, message: RequestMessage, scale: number): void {
    child.send(message);
    this.sent.push({ message, scale });
    if (this.sent.length === 1) this.started();
  }

  private answered(id: number): void {
    const at = this.sent.findIndex((s) => s.message.id === id);
    if (at < 0) return;
    this.sent.splice(at, 1);
    if (at === 0) this.started();
  }

  /** The first request in `sent`, if any, has just started: its wait is over and its deadline runs. */
  private started(): void {
    this.clock.clearTimeout(this.runTimer);
    this.runTimer = undefined;
    const head = this.sent[0];
    if (!head) return;
    this.headSince = this.clock.now();
    this.clock.clearTimeout(this.pending.get(head.message.id)?.queueTimer);
    const { id, method } = head.message;
    const deadlineMs = this.deadlines[method] * head.scale;
    this.runTimer = this.clock.setTimeout(() => this.timedOut(id, method, deadlineMs), deadlineMs);
  }

  /** Whether request `id` is the one the process is running, cannot stop, and has run past a restart's cost. */
  private isAbandonable(id: number): boolean {
    const head = this.sent[0];
    if (!head || head.message.id !== id || !UNINTERRUPTIBLE.has(head.message.method)) return false;
    return this.clock.now() - this.headSince >= (this.options.abandonAfterMs ?? ABANDON_AFTER_MS) * head.scale;
  }

  /**
   * Replaces the process, which is running a cancelled request to no one's use: the model is loaded into a
   * new one and every request still wanted follows, in its order, with its id and deadline. Not a crash.
   */
  private abandon(): void {
    const child = this.child;
    if (!child) return;
    const [head, ...rest] = this.sent;
    const wanted = rest.filter((s) => this.pending.has(s.message.id));
    // Requests made before a model switch that waits in the queue were for the old model, which the new
    // process will not hold.
    const switchAt = wanted.findIndex((s) => s.message.method === 'model/load');
    for (const s of switchAt > 0 ? wanted.splice(0, switchAt) : []) this.settle(s.message.id)?.reject(new GlassboxError('cancelled', 'Cancelled: the model was changed.'));
    const seconds = ((this.clock.now() - this.headSince) / 1000).toFixed(1);
    this.log(`Replaced the model process: it was ${seconds} s into a cancelled ${head.message.method}, which cannot be interrupted; ${wanted.length} waiting request(s) go to the new one.`);
    this.release();
    child.kill('SIGKILL'); // exited() ignores it: it is no longer the current process
    // A model switch waiting in the queue loads its own model (and its promise is the one callers await).
    const switching = switchAt >= 0 ? this.loading : null;
    let next: ModelProcess;
    try {
      next = this.ensureProcess();
    } catch (error) {
      this.failAll(error instanceof GlassboxError ? error : new GlassboxError('process-crashed', String(error)));
      return;
    }
    if (switching) this.loading = switching;
    else if (this.loadParams) void this.load(this.loadParams).catch(() => {}); // its failure reaches whoever awaits it
    // Their waits go on counting from when they were first sent.
    for (const s of wanted) this.transmit(next, s.message, s.scale);
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    this.clock.clearTimeout(pending.queueTimer);
    pending.cleanup();
    return pending;
  }

  /** The request the process is running, `id`, has run past its deadline: the process is hung. */
  private timedOut(id: number, method: ModelMethod, deadlineMs: number): void {
    const seconds = Math.round(deadlineMs / 1000);
    this.settle(id)?.reject(new GlassboxError('timeout', `The model did not answer within ${seconds} s, so Glassbox restarted it. Try again, perhaps with less text.`));
    const child = this.child;
    if (!child) return;
    // Let go of the hung process now, not at its 'exit' event: a request made as soon as this one failed must
    // start a new process, not be sent to the one being killed and then fail as a crash. lost() logs it.
    this.lost(`did not answer ${method} within ${seconds} s`);
    child.kill('SIGKILL');
  }

  /**
   * Request `id` waited its limit behind other work. Only it fails: the process is busy, not hung (its
   * running request has a deadline of its own), and is told to drop it.
   */
  private waitedTooLong(id: number, limitMs: number): void {
    const pending = this.settle(id);
    if (!pending) return;
    const seconds = Math.round(limitMs / 1000);
    this.log(`Gave up on ${pending.method} after it waited ${seconds} s behind other work; the model process is busy, not restarted.`);
    pending.reject(new GlassboxError('timeout', `This waited ${seconds} s behind other work for the model and was given up; the model is still busy (it was not restarted). Try again once it is free.`));
    if (this.child?.connected) this.child.send({ type: 'cancel', id });
  }

  private exited(child: ModelProcess, code: number | null, signal: NodeJS.Signals | null): void {
    // Not the current process: disposed, or let go of at a deadline.
    if (this.child !== child) return;
    this.lost(signal ? `was stopped by ${signal}` : `exited with code ${code}`);
  }

  /** The process died or was given up on: what it was working on fails, the next request starts a new one. */
  private lost(how: string): void {
    this.release();
    this.loading = null;
    if (this.disposed) return;
    const blocked = this.restartPolicy.recordCrash();
    const message = blocked ?? `The model process ${how}; it will restart on the next request.`;
    this.log(blocked ? `The model process ${how}. ${blocked}` : message);
    this.options.onState?.({ kind: 'crashed', message });
    this.failAll(new GlassboxError('process-crashed', `The model process ${how} while working on this. ${blocked ?? 'Try again: it restarts on the next request.'}`));
  }

  /** Lets go of the current process: what it was sent is no longer tracked, nor its running request timed. */
  private release(): ModelProcess | null {
    const child = this.child;
    this.child = null;
    this.sent = [];
    this.clock.clearTimeout(this.runTimer);
    this.runTimer = undefined;
    return child;
  }

  private failAll(error: GlassboxError): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

function forkProcess(modulePath: string, options: ForkOptions): ModelProcess {
  return fork(modulePath, [], options);
}

function toError(info: ErrorInfo): GlassboxError {
  return new GlassboxError(info.code, info.message);
}
