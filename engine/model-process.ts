// Entry of the model process, forked by the extension host (on VS Code's own Node, ELECTRON_RUN_AS_NODE).
// Inference blocks this process's thread and a native crash ends it; neither reaches the editor.

import { toErrorInfo } from '../protocol/errors';
import type { ModelToHost } from '../protocol/model-messages';
import { ModelServer } from './model-server';

function send(message: ModelToHost): void {
  // A host that went away cannot be told anything; the disconnect handler ends the process.
  if (process.connected) process.send?.(message);
}

if (!process.send) {
  console.error('glassbox model process: start me with child_process.fork (I talk over IPC).');
  process.exit(2);
}

const server = new ModelServer(send);
process.on('message', (raw: unknown) => server.receive(raw));
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => {
  send({ type: 'log', message: `Model process error: ${toErrorInfo(error).message}` });
});
process.on('unhandledRejection', (error) => {
  send({ type: 'log', message: `Model process error: ${toErrorInfo(error).message}` });
});
send({ type: 'ready', pid: process.pid });
