// The model process forked by hand, and an inbox of what it sends: for tests that send it what ModelClient
// never would (malformed, mutated or random messages) and read every answer.

import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelToHost } from '../../protocol/model-messages';

export const MODEL_PROCESS_MODULE = join(import.meta.dirname, '..', '..', 'dist', 'model-process.js');

/** Messages from a model process (or server), taken by what they match, in order. */
export class Inbox {
  private readonly messages: ModelToHost[] = [];
  private readonly waiting: { matches: (m: ModelToHost) => boolean; resolve: (m: ModelToHost) => void }[] = [];

  push(message: ModelToHost): void {
    const waiter = this.waiting.find((w) => w.matches(message));
    if (!waiter) return void this.messages.push(message);
    this.waiting.splice(this.waiting.indexOf(waiter), 1);
    waiter.resolve(message);
  }

  /** The first message, received or to come, that matches. */
  next(matches: (m: ModelToHost) => boolean): Promise<ModelToHost> {
    const i = this.messages.findIndex(matches);
    if (i >= 0) {
      return Promise.resolve(this.messages.splice(i, 1)[0]);
    }
    return new Promise((resolve) => this.waiting.push({ matches, resolve }));
  }

  /** The result or error that answers request `id`. */
  answer(id: number): Promise<Extract<ModelToHost, { type: 'result' | 'error' }>> {
    return this.next((m) => (m.type === 'result' || m.type === 'error') && m.id === id) as Promise<Extract<ModelToHost, { type: 'result' | 'error' }>>;
  }

  /** Removes and returns every received message that matches. */
  drain(matches: (m: ModelToHost) => boolean): ModelToHost[] {
    const out = this.messages.filter(matches);
    for (const m of out) this.messages.splice(this.messages.indexOf(m), 1);
    return out;
  }
}

/** The model process forked by hand, as ModelClient forks it, to send it what ModelClient never would. */
export class RawProcess {
  readonly inbox = new Inbox();
  readonly child: ChildProcess;

  constructor() {
    if (!existsSync(MODEL_PROCESS_MODULE)) throw new Error(`${MODEL_PROCESS_MODULE} is missing: run npm run build first`);
    this.child = fork(MODEL_PROCESS_MODULE, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    this.child.on('message', (message) => this.inbox.push(message as ModelToHost));
  }

  send(message: unknown): void {
    this.child.send(message as Serializable);
  }
}
