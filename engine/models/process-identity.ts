// Which process made something (a lock, a graph being built), told apart from a later process that happens
// to get the same pid: the pid, the host, and — where the OS says — when the process started.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  /** Linux: the start time in clock ticks since boot (/proc/<pid>/stat, field 22); null elsewhere. */
  readonly start: string | null;
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, host: hostname(), start: processStart(process.pid) };
}

/** Whether the process that wrote `identity` still runs; another host's process counts as running. */
export function isRunning(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return true;
  try {
    process.kill(identity.pid, 0); // signal 0 only asks whether the pid exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: it exists, as another user
  }
  // The pid is taken; by the same process only if it started at the same time.
  const start = processStart(identity.pid);
  return identity.start === null || start === null || start === identity.start;
}

export function parseProcessIdentity(value: unknown): ProcessIdentity | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0 || typeof v.host !== 'string') return null;
  if (v.start !== null && typeof v.start !== 'string') return null;
  return { pid: v.pid, host: v.host, start: v.start };
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}
