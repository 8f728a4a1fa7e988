// Finding the processes of one VS Code session among everything else on the machine (other test files run
// their own sessions in parallel): the session is started with a marker in its environment, which every
// process it forks inherits, and /proc tells which processes carry it.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export const SESSION_MARKER_VARIABLE = 'GLASSBOX_E2E_SESSION';

/** A fresh marker to pass as `env` to startVsCode. */
export function sessionMarker(): Record<string, string> {
  return { [SESSION_MARKER_VARIABLE]: randomUUID() };
}

/** Pids of the live processes started under `marker` whose command line mentions `script`. */
export function processesRunning(script: string, marker: Record<string, string>): number[] {
  const wanted = `${SESSION_MARKER_VARIABLE}=${marker[SESSION_MARKER_VARIABLE]}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!cmdline.some((arg) => arg.endsWith(script))) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (environ.includes(wanted)) pids.push(Number(name));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

/** The one model process of the session (dist/model-process.js); throws when there is none or several. */
export function modelProcess(marker: Record<string, string>): number {
  const pids = processesRunning('/dist/model-process.js', marker);
  if (pids.length !== 1) throw new Error(`expected one model process in the session, found ${pids.length} (${pids.join(', ')})`);
  return pids[0];
}
