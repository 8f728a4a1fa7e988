// Where the CPU goes while the user waits: the CPU seconds of every process this benchmark started (code-server,
// its extension host, the model process, Chromium's renderers…) read from /proc, grouped by role. On a 2-core
// machine a wait that is longer than the engine's own time is CPU the model process did not get; this says who
// had it. Linux only (the benchmark's machines); elsewhere it reports nothing.

import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds by role, e.g. { model: 4.1, chromium: 1.3, … }. */
export type CpuByRole = Record<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcessCpu {
  readonly pid: number;
  readonly ppid: number;
  readonly seconds: number;
}

function readProcess(pid: number): ProcessCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may hold spaces: count fields after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null; // gone between the listing and the read
  }
}

/** What a process is, from its command line. */
function roleOf(pid: number): string {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return 'other';
  }
  if (pid === process.pid) return 'benchmark';
  if (cmd.includes('model-process')) return 'model';
  if (cmd.includes('extensionHost') || cmd.includes('--type=extensionHost')) return 'extension host';
  if (/chrom/i.test(cmd)) return cmd.includes('--type=renderer') ? 'chromium renderers' : 'chromium (browser, gpu, utility)';
  if (cmd.includes('code-server')) return 'code-server';
  return 'other';
}

/** The CPU seconds so far of this process and all its descendants, by role. */
export function cpuByRole(): CpuByRole {
  let all: ProcessCpu[];
  try {
    all = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map((name) => readProcess(Number(name))).filter((p): p is ProcessCpu => p !== null);
  } catch {
    return {};
  }
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const totals: CpuByRole = {};
  const visit = (pid: number): void => {
    const p = byPid.get(pid);
    if (p) totals[roleOf(pid)] = (totals[roleOf(pid)] ?? 0) + p.seconds;
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(process.pid);
  return totals;
}

/** CPU seconds spent by role between two readings (a process that ended in between is not counted). */
export function cpuSince(before: CpuByRole, after: CpuByRole): CpuByRole {
  const spent: CpuByRole = {};
  for (const [role, seconds] of Object.entries(after)) spent[role] = Math.max(0, seconds - (before[role] ?? 0));
  return spent;
}
