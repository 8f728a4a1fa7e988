// npm run bench:browser — what the user waits for, measured in the real product: the VSIX installed in a
// real VS Code (code-server) driven in Chromium, on the GPT-2-small-shaped benchmark model. Beside every
// browser figure, the engine's own time for the same work, measured in this process in the same run:
//   - Inspect Selection of 128 / 512 / 1,000 tokens: from the Enter that runs the command to the first paint
//     (the Tokens tab's chips, painted from the tokens' reading when the text is long enough), to the whole
//     inspection in (no progress bar, no tab pending), and from a click on the Lens / Attention tab to that
//     tab drawn; beside it the engine's inspection of the same tokens (as the panel asks for it). The first
//     paint and the whole are the page's own User Timing marks (webview/main.ts), read twice a second, and
//     a second table gives the CPU seconds each process spent meanwhile (process-cpu.ts): who had the cores;
//   - ghost text: from the last keystroke to the suggestion on screen (p50/p90 over --trials typed words),
//     beside the engine's generation of the same suggestion (its first token and the whole of it);
//   - surprisal highlighting in a 2,000-line file: from the last keystroke of a typed word to its tint on
//     screen (p50/p90 over --trials words), on the benchmark model and on the shipped demo model.
// Not a test: it asserts nothing about time, prints a table and one JSON object keyed `browser`.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FrameLocator, Page } from 'playwright-core';
import { benchModelDir } from '../../engine/bench/bench-model';
import { percentile, round } from '../../engine/bench/bench-stats';
import { defaultCacheDir } from '../../engine/models/cache-dir';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import { COMPLETION_DEFAULTS } from '../../extension/completion-settings';
import { visibleWhitespace } from '../../protocol/visible-whitespace';
import { packageVsix, startVsCode, type VsCodeSession } from './vscode-session';
import { cpuByRole, cpuSince, type CpuByRole } from './process-cpu';
import { ghostText, selectionStatus, textEditor } from './workbench-reading';
import { cdpTarget, nodeInspector, printTraceSelfTime, RENDERER_TRACE_CATEGORIES, startProfiling, stopProfiling, type ProfilerTarget } from './cpu-profile';
import { freePort } from '../../scripts/code-server';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    // `none`: only the ghost-text and surprisal figures.
    sizes: { type: 'string', default: '128,512,1000' },
    runs: { type: 'string', default: '3' },
    trials: { type: 'string', default: '30' },
    // `inspect`: only the inspections (no ghost text, no surprisal).
    only: { type: 'string' },
    // A folder: V8 profiles of the extension host and Chromium's renderers during each timed inspection,
    // written there as .cpuprofile files and summarised (self time by function). Profiling takes CPU too:
    // compare CPU figures of runs without it.
    profile: { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const sizes = values.sizes === 'none' ? [] : values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const trials = Number(values.trials);
// Each poll crosses frames and takes CPU the model would use: often enough to time, rarely enough to not slow it.
const POLL_MS = 50;
// Waiting for a mark whose own time is the figure: the poll's period adds nothing to it, so look rarely.
const MARK_POLL_MS = 500;
const IDLE_MS = 5_000;
/** Tokens at the start of a text that tell its inspection from the one shown before. */
const LEAD_TOKENS = 8;

/** Milliseconds from `start` until `check` holds, polling (the states span frames: no single locator waits on them). */
async function msUntil(start: number, what: string, check: () => Promise<boolean>, timeoutMs = 180_000): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/** Runs a palette command and returns the moment its Enter was pressed. */
async function pressCommand(page: Page, title: string): Promise<number> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator(`.quick-input-widget .monaco-list-row.focused[aria-label^=${JSON.stringify(title)}]`).waitFor();
  const start = performance.now();
  await page.keyboard.press('Enter');
  return start;
}

/** The first `n` tokens of `source` as text, checked to tokenize back to exactly `n` tokens. */
function textOfTokens(engine: Gpt2Engine, source: string, n: number): string {
  const tokens = engine.tokenize(source);
  for (let take = n; take <= tokens.length; take++) {
    const text = source.slice(0, tokens[take - 1].end);
    if (engine.tokenize(text).length === n) return text;
  }
  throw new Error(`no prefix of the source is ${n} tokens`);
}

/** Opens a workspace file in the first editor group, where the texts are (not beside the panel). */
async function openInFirstGroup(s: VsCodeSession, file: string): Promise<void> {
  if ((await textEditor(s.page).count()) > 0) await textEditor(s.page).locator('.view-lines').click();
  await s.openFile(file);
}

interface InspectFigures {
  readonly tokens: number;
  readonly firstPaintMs: number;
  readonly wholeMs: number;
  readonly lensTabMs: number;
  readonly attentionTabMs: number;
  readonly engineMs: number;
  /** CPU seconds by process role from the Enter to the whole inspection in. */
  readonly cpu: CpuByRole;
}

/** Starts profilers just before an inspection's Enter and stops them once it is whole. */
interface InspectionProfiling {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Our bundles: the extension host's and the Inspect panel's. */
function isOurs(url: string): boolean {
  const path = decodeURIComponent(url);
  return path.endsWith('/dist/extension.js') || path.includes('/dist/webview.js');
}

/**
 * Profiles of the extension host (its inspector on `port`), the workbench page's renderer and any webview frame
 * Chromium runs in a process of its own (an in-process frame's JavaScript is in the page's profile).
 */
function profilingOf(s: VsCodeSession, port: number, dir: string): (label: string) => InspectionProfiling {
  let host: ProfilerTarget | undefined;
  let targets: ProfilerTarget[] = [];
  return (label) => ({
    async start() {
      host ??= await nodeInspector('extension host', port);
      const context = s.page.context();
      targets = [host, cdpTarget('workbench renderer', await context.newCDPSession(s.page))];
      for (const frame of s.page.frames()) {
        if (frame === s.page.mainFrame()) continue;
        const session = await context.newCDPSession(frame).catch(() => null); // an in-process frame has none of its own
        if (session) targets.push(cdpTarget(`frame ${new URL(frame.url()).pathname}`, session));
      }
      await startProfiling(targets);
      await context.browser()?.startTracing(s.page, { path: join(dir, `${label}-trace.json`), categories: RENDERER_TRACE_CATEGORIES });
    },
    async stop() {
      const trace = await s.page.context().browser()?.stopTracing();
      await stopProfiling(targets, dir, label, isOurs);
      if (trace) printTraceSelfTime(trace);
      for (const t of targets) if (t !== host) await t.close();
    },
  });
}

async function inspectOnce(s: VsCodeSession, file: string, n: number, lead: string, profiling?: InspectionProfiling): Promise<Omit<InspectFigures, 'engineMs'>> {
  const { page } = s;
  await openInFirstGroup(s, file);
  await textEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+A');
  await selectionStatus(page).filter({ hasText: 'selected' }).waitFor();
  await profiling?.start();
  const start = await pressCommand(page, 'Glassbox: Inspect Selection');
  const startEpoch = performance.timeOrigin + start;
  const cpuBefore = cpuByRole();
  const panel = await s.webviewFrame('Glassbox');
  // The page marks when an inspection's first chips and the whole of it reach the screen (User Timing). The page
  // itself waits for the mark (a locator resolved through the frames at every poll cost the renderer 0.5–1 CPU-s
  // an inspection, taken from the model it was timing).
  const frame = await (await panel.owner().elementHandle())?.contentFrame();
  if (!frame) throw new Error('the panel has no frame');
  // Each runs in the page: the latest mark of a name, in ms since the epoch (0 for none).
  await frame.waitForFunction((since) => (performance.getEntriesByName('glassbox:inspection-shown', 'mark').map((m) => performance.timeOrigin + m.startTime).pop() ?? 0) > since, startEpoch, { polling: MARK_POLL_MS, timeout: 180_000 });
  // (No named functions inside: tsx would wrap them in a helper the page does not have.)
  const onScreen = async () => {
    const [tokens, whole] = await frame.evaluate(() => ['glassbox:tokens-shown', 'glassbox:inspection-shown'].map((name) => performance.getEntriesByName(name, 'mark').map((m) => performance.timeOrigin + m.startTime).pop() ?? 0));
    return { tokens, whole };
  };
  const cpu = cpuSince(cpuBefore, cpuByRole());
  await profiling?.stop();
  const marks = await onScreen();
  const wholeMs = marks.whole - startEpoch;
  const firstPaintMs = (marks.tokens > startEpoch ? marks.tokens : marks.whole) - startEpoch;
  // What the marks claim, checked on the page: this text's chips, all of them, no bar, no tab waiting.
  const chips = panel.locator('.gb-chip:not(.gb-chip-next)');
  const leadShown = await chips.evaluateAll((nodes, count) => nodes.slice(0, count).map((c) => c.querySelector('.gb-chip-text')?.textContent ?? '').join(''), LEAD_TOKENS);
  if (leadShown !== lead || (await chips.count()) !== n) throw new Error(`the panel does not show the inspected text (starts ${JSON.stringify(leadShown)})`);
  if (!(await panel.locator('.gb-progress').isHidden()) || (await panel.locator('.gb-pending:visible').count()) > 0) throw new Error('the inspection marked whole still shows progress or a pending tab');
  const lensTabMs = await tabDrawn(panel, 'lens', () => panel.locator('.gb-grid-rowhead').count().then((c) => c > 0));
  const attentionTabMs = await tabDrawn(panel, 'attention', async () => (await panel.locator('.gb-thumb').count()) > 0 && (await panel.locator('.gb-attn-detail canvas, .gb-attn-detail svg').count()) > 0);
  await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
  return { tokens: n, firstPaintMs, wholeMs, lensTabMs, attentionTabMs, cpu };
}

async function tabDrawn(panel: FrameLocator, tab: string, drawn: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  await panel.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
  return msUntil(start, `the ${tab} tab`, drawn);
}

interface GhostFigures {
  readonly browserMs: number[];
  readonly engineFirstMs: number[];
  readonly engineAllMs: number[];
}

/** Types words at the end of the prose one at a time and times each suggestion's arrival. */
async function ghostTrials(s: VsCodeSession, engine: Gpt2Engine, prose: string): Promise<GhostFigures> {
  const { page } = s;
  await openInFirstGroup(s, 'typing.txt');
  await textEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  const words = prose.split(/\s+/).filter(Boolean);
  const figures: GhostFigures = { browserMs: [], engineFirstMs: [], engineAllMs: [] };
  let typed = readFileSync(join(s.workspace, 'typing.txt'), 'utf8');
  for (let i = 0; figures.browserMs.length < trials && i < words.length; i++) {
    const word = ` ${words[i]}`;
    await page.keyboard.type(word.slice(0, -1), { delay: 60 });
    const last = performance.now();
    await page.keyboard.type(word.slice(-1));
    typed += word;
    try {
      figures.browserMs.push(await msUntil(last, 'ghost text', async () => (await ghostText(page)).length > 0, 15_000));
    } catch {
      continue; // the model proposed nothing here (e.g. a newline first): not a latency
    }
    // The same prompt through the engine alone, as the completion provider asks (greedy, same limits).
    const t = performance.now();
    let first = 0;
    await engine.generate(typed, { maxNewTokens: COMPLETION_DEFAULTS.maxTokens, temperature: 0, stopAtNewline: true, onToken: () => (first ||= performance.now() - t) });
    figures.engineAllMs.push(performance.now() - t);
    figures.engineFirstMs.push(first);
    await page.keyboard.press('Escape');
  }
  return figures;
}

/** A word no model expects, so that its tint is never the untinted lowest level. */
const GIBBERISH = ['qzx', 'vjk', 'xqw', 'zzq', 'jxv', 'kqz', 'wxj', 'qvz'];

/** Types words at the end of a 2,000-line file with surprisal highlighting on; times each tint. */
async function surprisalTrials(s: VsCodeSession): Promise<number[]> {
  const { page } = s;
  await s.runCommand('Glassbox: Toggle Inline Completions'); // off: ghost text runs would share the model
  await openInFirstGroup(s, 'long.txt');
  await textEditor(page).locator('.view-lines').click();
  // At the end of the file, as one writes: the line typed in is the view's last, which a context shorter than
  // the view (the demo model's 256 tokens) still reaches.
  await page.keyboard.press('Control+End');
  await s.runCommand('Glassbox: Toggle Surprisal Highlighting');
  const tinted = textEditor(page).locator('.view-overlays [class*="ced-"]');
  await msUntil(performance.now(), 'the first tint', async () => (await tinted.count()) > 0, 120_000);
  const times: number[] = [];
  for (let i = 0; times.length < trials; i++) {
    const word = ` ${GIBBERISH[i % GIBBERISH.length]}`;
    await page.keyboard.type(word.slice(0, -1), { delay: 60 });
    const last = performance.now();
    await page.keyboard.type(word.slice(-1));
    // Tinted: a decoration on the cursor's line reaches the cursor (the decorations' ranges are closed, so
    // typed text stays untinted until the model has read it).
    times.push(await msUntil(last, 'the typed word tinted', () => textEditor(page).evaluate((editor) => {
      const cursor = editor.querySelector<HTMLElement>('.cursors-layer .cursor');
      if (!cursor) return false;
      const top = parseFloat(cursor.style.top);
      const left = parseFloat(cursor.style.left);
      for (const line of editor.querySelectorAll<HTMLElement>('.view-overlays > div')) {
        if (Math.abs(parseFloat(line.style.top) - top) > 1) continue;
        for (const d of line.querySelectorAll<HTMLElement>('[class*="ced-"]')) {
          const start = parseFloat(d.style.left);
          if (start < left && start + parseFloat(d.style.width) >= left - 1) return true;
        }
      }
      return false;
    }), 60_000));
  }
  await s.runCommand('Glassbox: Toggle Surprisal Highlighting');
  await s.runCommand('Glassbox: Toggle Inline Completions');
  return times;
}

/** A 2,000-line file of prose (numbered lines, so that no two read alike). */
function longFile(prose: string): string {
  const sentences = prose.replace(/\s+/g, ' ').split(/(?<=\.) /);
  return Array.from({ length: 2000 }, (_, i) => `${i + 1}. ${sentences[i % sentences.length]}`).join('\n');
}

/** What the workbench takes when nobody does anything: the floor under every figure. */
async function printIdleCpu(when: string): Promise<void> {
  const before = cpuByRole();
  await new Promise((done) => setTimeout(done, IDLE_MS));
  const idle = cpuSince(before, cpuByRole());
  const perSecond = Object.entries(idle).filter(([, v]) => v > 0).map(([role, v]) => `${role} ${round(v / (IDLE_MS / 1000))}`);
  console.log(`idle workbench (${when}), CPU seconds per second: ${perSecond.join(', ')}`);
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const modelDir = benchModelDir(values.model);
  const temp = await mkdtemp(join(tmpdir(), 'glassbox-latency-'));
  const workspace = join(temp, 'workspace');
  await mkdir(workspace);
  const engine = await Gpt2Engine.load({ modelDir, cacheDir: defaultCacheDir(), device: 'cpu' });
  let session: VsCodeSession | undefined;
  try {
    const source = readFileSync(join(root, 'README.md'), 'utf8');
    // Every run a text of its own (from another place in the source): the same text again would be answered
    // from the last inspection's cache, which is not what a new selection costs.
    const fileOf = (n: number, run: number) => `text-${n}-${run}.txt`;
    for (const n of sizes) for (let run = 0; run <= runs; run++) await writeFile(join(workspace, fileOf(n, run)), textOfTokens(engine, source.slice(run * 4000), n));
    const prose = readFileSync(join(root, 'sample', 'prose.md'), 'utf8');
    await writeFile(join(workspace, 'typing.txt'), prose.slice(0, 600));
    await writeFile(join(workspace, 'long.txt'), longFile(prose));
    console.error('packaging the VSIX …');
    const vsix = packageVsix(temp);
    const profileDir = values.profile ? resolve(values.profile) : undefined;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const inspectExtensions = profileDir ? await freePort() : undefined;
    session = await startVsCode({
      vsix,
      workspace,
      inspectExtensions,
      settings: { 'glassbox.model': modelDir, 'glassbox.completions.enabled': true, 'editor.inlineSuggest.enabled': true },
    });
    await session.page.setViewportSize({ width: 1600, height: 900 });

    const profiling = profileDir && inspectExtensions ? profilingOf(session, inspectExtensions, profileDir) : undefined;
    await printIdleCpu('just opened');
    const inspections: InspectFigures[] = [];
    for (const n of sizes) {
      for (let run = 0; run <= runs; run++) {
        const text = readFileSync(join(workspace, fileOf(n, run)), 'utf8');
        const lead = engine.tokenize(text).slice(0, LEAD_TOKENS).map((t) => visibleWhitespace(t.text)).join('');
        const browser = await inspectOnce(session, fileOf(n, run), n, lead, run > 0 ? profiling?.(`inspect-${n}-${run}`) : undefined);
        const t = performance.now();
        const cpuBefore = process.cpuUsage();
        await engine.inspect(text, { topK: 10, patternLayers: [0], reusePrefix: false });
        const engineMs = performance.now() - t;
        const { user, system } = process.cpuUsage(cpuBefore);
        if (run > 0) inspections.push({ ...browser, engineMs, cpu: { ...browser.cpu, 'engine alone': (user + system) / 1e6 } }); // run 0 warms up (model load, first page)
        console.error(`${n} tokens: ${JSON.stringify({ ...browser, engineMs: Math.round(engineMs) })}`);
      }
    }
    if (sizes.length > 0) await printIdleCpu('after the inspections, the panel open');
    const inspectionsOnly = values.only === 'inspect';
    const ghost = inspectionsOnly ? null : await ghostTrials(session, engine, prose.slice(600));
    const surprisal: Record<string, number[]> = {};
    if (!inspectionsOnly) {
      surprisal.benchmark = await surprisalTrials(session);
      // The demo model, in a session of its own (`demo` names the model the VSIX ships).
      await session.close();
      session = await startVsCode({ vsix, workspace, settings: { 'glassbox.model': 'demo', 'glassbox.completions.enabled': true } });
      await session.page.setViewportSize({ width: 1600, height: 900 });
      surprisal.demo = await surprisalTrials(session);
    }

    const ofSize = (n: number) => inspections.filter((f) => f.tokens === n);
    const median = (n: number, key: Exclude<keyof InspectFigures, 'cpu'>) => percentile(ofSize(n).map((f) => f[key]), 50) / 1000;
    const rows: string[][] = [['tokens', 'first paint', 'whole inspection', 'Lens tab (after click)', 'Attention tab (after click)', 'engine inspect', 'first paint ÷ engine', 'whole ÷ engine']];
    for (const n of sizes) {
      rows.push([String(n), `${round(median(n, 'firstPaintMs'))} s`, `${round(median(n, 'wholeMs'))} s`, `${round(median(n, 'lensTabMs'))} s`, `${round(median(n, 'attentionTabMs'))} s`, `${round(median(n, 'engineMs'))} s`, `${round(median(n, 'firstPaintMs') / median(n, 'engineMs'))} ×`, `${round(median(n, 'wholeMs') / median(n, 'engineMs'))} ×`]);
    }
    printTable(rows);
    // Who had the CPU while the user waited for the whole inspection (2 cores: at most 2 CPU-seconds a second).
    const roles = [...new Set(inspections.flatMap((f) => Object.keys(f.cpu)))].sort();
    const cpuRows: string[][] = [['tokens', 'whole inspection', ...roles.map((r) => `${r} CPU`)]];
    for (const n of sizes) cpuRows.push([String(n), `${round(median(n, 'wholeMs'))} s`, ...roles.map((r) => `${round(percentile(ofSize(n).map((f) => f.cpu[r] ?? 0), 50))} s`)]);
    printTable(cpuRows);
    const p = (xs: number[], q: number) => round(percentile(xs, q) / 1000);
    if (ghost) console.log(`ghost text over ${ghost.browserMs.length} words: last keystroke → on screen p50 ${p(ghost.browserMs, 50)} s, p90 ${p(ghost.browserMs, 90)} s; engine alone: first token p50 ${p(ghost.engineFirstMs, 50)} s, whole suggestion p50 ${p(ghost.engineAllMs, 50)} s, p90 ${p(ghost.engineAllMs, 90)} s (debounce ${COMPLETION_DEFAULTS.debounceMs} ms)`);
    for (const [model, times] of Object.entries(surprisal)) {
      console.log(`surprisal highlighting, 2,000-line file, ${model} model, over ${times.length} words: last keystroke → tinted p50 ${p(times, 50)} s, p90 ${p(times, 90)} s`);
    }
    console.log(JSON.stringify({ browser: { inspections, ghost, surprisal } }));
  } finally {
    await session?.close();
    await engine.dispose();
    await rm(temp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
