// Where a process's CPU goes during one interval, for the browser benchmark's `--profile`: V8's sampling
// profiler in the extension host (through its Node inspector, `--inspect-extensions`) and in Chromium's
// renderers (through the Chrome DevTools Protocol), summarised as self time by function. The profiles are
// written as .cpuprofile files, which Chrome DevTools' Performance panel (or VS Code) opens.

import { writeFile } from 'node:fs/promises';
import type { CDPSession } from 'playwright-core';
import { WebSocket } from 'undici';

/** V8's `Profiler.Profile`, as far as the summary reads it. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Something that can run V8's profiler: a Node inspector or a CDP session of a Chromium target. */
export interface ProfilerTarget {
  readonly name: string;
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** The Node inspector of a process started with `--inspect=port` (the extension host's `--inspect-extensions`). */
export async function nodeInspector(name: string, port: number, timeoutMs = 30_000): Promise<ProfilerTarget> {
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    const targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json() as Promise<{ webSocketDebuggerUrl?: string }[]>, () => []);
    url = targets[0]?.webSocketDebuggerUrl;
    if (url) break;
    if (Date.now() > deadline) throw new Error(`no Node inspector on port ${port}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const entry = message.id === undefined ? undefined : waiting.get(message.id);
    if (!entry) return; // an event
    waiting.delete(message.id!);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  });
  return {
    name,
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    async close() {
      socket.close();
    },
  };
}

/** A Chromium target (a page, or an out-of-process frame) through Playwright's CDP session. */
export function cdpTarget(name: string, session: CDPSession): ProfilerTarget {
  return {
    name,
    send: (method, params) => (session.send as (m: string, p?: Record<string, unknown>) => Promise<unknown>)(method, params),
    close: () => session.detach().catch(() => undefined),
  };
}

export async function startProfiling(targets: readonly ProfilerTarget[]): Promise<void> {
  for (const t of targets) {
    await t.send('Profiler.enable');
    await t.send('Profiler.start');
  }
}

/** Stops every target's profiler, writes `<dir>/<label>-<target>.cpuprofile` and prints each one's top self time. */
export async function stopProfiling(targets: readonly ProfilerTarget[], dir: string, label: string, ours: (url: string) => boolean, top = 25): Promise<void> {
  for (const t of targets) {
    const { profile } = (await t.send('Profiler.stop')) as { profile: CpuProfile };
    const file = `${dir}/${label}-${t.name.replaceAll(/\W+/g, '-')}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    const rows = selfTime(profile);
    const total = rows.reduce((s, r) => s + r.ms, 0);
    const ourMs = rows.filter((r) => ours(r.url)).reduce((s, r) => s + r.ms, 0);
    const busy = rows.filter((r) => r.functionName !== '(idle)').reduce((s, r) => s + r.ms, 0);
    console.log(`\n${t.name} (${label}): ${(total / 1000).toFixed(2)} s profiled, ${(busy / 1000).toFixed(2)} s not idle, ${(ourMs / 1000).toFixed(2)} s in our code (${file})`);
    for (const r of rows.slice(0, top)) {
      console.log(`  ${(r.ms / 1000).toFixed(3).padStart(7)} s  ${ours(r.url) ? 'ours ' : '     '} ${r.functionName || '(anonymous)'}  ${shortUrl(r.url)}${r.url ? `:${r.lineNumber + 1}` : ''}`);
    }
  }
}

export interface SelfTimeRow {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly ms: number;
}

/** Self time by function (name, script, line), most first: each sample's interval goes to the node it hit. */
export function selfTime(profile: CpuProfile): SelfTimeRow[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const ms = new Map<string, SelfTimeRow>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's delta is the time since the previous one; the interval it stands for is the next delta.
  for (let i = 0; i < samples.length; i++) {
    const frame = byNode.get(samples[i]);
    if (!frame) continue;
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}`;
    const row = ms.get(key) ?? { functionName: frame.functionName, url: frame.url, lineNumber: frame.lineNumber, ms: 0 };
    ms.set(key, { ...row, ms: row.ms + (deltas[i + 1] ?? 0) / 1000 });
  }
  return [...ms.values()].sort((a, b) => b.ms - a.ms);
}

function shortUrl(url: string): string {
  const parts = url.split('/');
  return parts.length > 3 ? `…/${parts.slice(-3).join('/')}` : url;
}

/** Chromium's trace categories that time a renderer's own work: tasks, style, layout, paint, scripts, GC. */
export const RENDERER_TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink.user_timing'];

interface TraceEvent {
  readonly ph: string;
  readonly name: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly args?: { readonly name?: string };
}

/**
 * Prints the self time of trace events by name on every renderer thread that was busy: where the time the
 * JavaScript profile calls "(program)" went (style, layout, paint, message deserialisation…).
 */
export function printTraceSelfTime(trace: Buffer, top = 15): void {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const processName = new Map<number, string>();
  const threadName = new Map<string, string>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'process_name') processName.set(e.pid, e.args?.name ?? '');
    if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  }
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || !/renderer/i.test(processName.get(e.pid) ?? '')) continue;
    const key = `${e.pid}:${e.tid}`;
    byThread.set(key, [...(byThread.get(key) ?? []), e]);
  }
  for (const [key, list] of byThread) {
    const self = selfTimeByName(list);
    const busy = [...self.values()].reduce((s, v) => s + v, 0);
    if (busy < 200_000) continue;
    console.log(`\ntrace: renderer ${key.split(':')[0]} thread ${threadName.get(key) ?? key}: ${(busy / 1e6).toFixed(2)} s in events`);
    for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(us / 1e6).toFixed(3).padStart(7)} s  ${name}`);
  }
}

/** Microseconds each event name spent outside the events nested in it (complete events of one thread). */
function selfTimeByName(events: readonly TraceEvent[]): Map<string, number> {
  const sorted = [...events].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const open: { end: number; name: string; child: number; dur: number }[] = [];
  const close = (until: number): void => {
    while (open.length > 0 && open[open.length - 1].end <= until) {
      const e = open.pop()!;
      self.set(e.name, (self.get(e.name) ?? 0) + Math.max(0, e.dur - e.child));
      if (open.length > 0) open[open.length - 1].child += e.dur;
    }
  };
  for (const e of sorted) {
    close(e.ts);
    open.push({ end: e.ts + e.dur!, name: e.name, child: 0, dur: e.dur! });
  }
  close(Infinity);
  return self;
}
