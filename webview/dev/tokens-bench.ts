// How fast the Tokens tab is on long texts, in Debian's chromium on the dev preview: for each token count, the
// time from an inspection arriving to the tab painted and to every chip in the page (a new text, a new text
// painted tokens-first, and the finished inspection replacing the tokens painted first), recolouring,
// selecting a token far down, and a programmatic scroll through the chips (frame intervals and long tasks).
// Prints figures; asserts nothing, since timings depend on the machine and its load (other processes share
// the CPU — compare runs made together, or alternately with --baseline).
// Run: npx tsx webview/dev/tokens-bench.ts [--baseline <checkout>] [--width <px>] [tokens…]   (default 128 1000 2000)
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { InspectionShow, InspectionTokens } from '../../protocol/panel-messages';

const root = join(import.meta.dirname, '..', '..');
const { values, positionals } = parseArgs({ options: { baseline: { type: 'string' }, width: { type: 'string' } }, allowPositionals: true });
/**
 * Another checkout (say, of main) measured alternately with this one, for ratios under the same load. It needs
 * this checkout's webview/dev/preview-host.ts, which notes when a message arrives and keeps the tokens' reading.
 */
const baseline = values.baseline ? resolve(values.baseline) : null;
/** The panel's width: the narrower, the fewer of the chips are in view. */
const width = Number(values.width ?? 1400);
const counts = positionals.map(Number).filter((n) => n > 0);
const repeats = 5;

interface MessageTiming {
  /** To the first frame painted after the message. */
  readonly painted: number;
  /** To the first frame painted with every chip in the page. */
  readonly complete: number;
  /** Tasks over 50 ms in between. */
  readonly longTasks: number;
}

/**
 * Milliseconds from the page receiving a host message to the next frame painted, and to the first frame with
 * every chip in: `show`, the fixture's inspection, or `tokens`, its tokens' reading (what a long inspection
 * sends first). `text` 0 sends the fixture's own text, 1 the same tokens one place on (another text of as many
 * tokens). The time starts when the page has the message (preview-host.ts notes it before the panel's
 * listener runs), so structured-cloning it is not counted: the panel's work and the frames are.
 */
function timeMessage(page: Page, kind: 'show' | 'tokens', text: number): Promise<MessageTiming> {
  return page.evaluate(
    ([kind, text, types]) =>
      new Promise<MessageTiming>((resolve) => {
        interface Sent {
          readonly inspection: { readonly tokens: readonly unknown[] };
          readonly source: unknown;
        }
        const preview = (window as unknown as { glassboxPreview: { send(message: unknown): void; received(): number; show: Sent; reading: { readonly tokens: readonly unknown[] } } }).glassboxPreview;
        const { show, reading } = preview;
        const tokens = show.inspection.tokens;
        const shifted = text === 0 ? tokens : [...tokens.slice(1), tokens[0]];
        let longTasks = 0;
        const observer = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
        observer.observe({ type: 'longtask' });
        const chips = document.querySelector('.gb-tokens .gb-chips') as HTMLElement;
        const sent = performance.now();
        void (async () => {
          let painted = 0;
          // Until the panel has handled the message: the frames to time are the ones asked for after it.
          while (preview.received() < sent) await new Promise((resolve) => setTimeout(resolve));
          for (;;) {
            // A task queued from a frame's callback runs once that frame is painted.
            await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
            const now = performance.now() - preview.received();
            painted ||= now;
            if (chips.querySelectorAll('.gb-chip').length !== tokens.length + 1) continue;
            // Entries not yet delivered to the callback, such as the message's own task.
            longTasks += observer.takeRecords().length;
            observer.disconnect();
            return resolve({ painted, complete: now, longTasks });
          }
        })();
        if (kind === 'show') preview.send({ type: types.show, payload: { ...show, inspection: { ...show.inspection, tokens: shifted } } });
        else preview.send({ type: types.tokens, payload: { reading: { ...reading, tokens: shifted }, source: show.source } });
      }),
    [kind, text, { show: InspectionShow, tokens: InspectionTokens }] as const,
  );
}

/** Milliseconds from running `act` in the page (a selector and what to do with it) to the next frame painted. */
function timeAction(page: Page, act: { selector: string; colour?: string }): Promise<number> {
  return page.evaluate(
    (act) =>
      new Promise<number>((resolve) => {
        const target = document.querySelector(act.selector) as HTMLElement & { value: string };
        const start = performance.now();
        if (act.colour) {
          target.value = act.colour;
          target.dispatchEvent(new Event('change'));
        } else target.click();
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start)));
      }),
    act,
  );
}

interface ScrollFigures {
  readonly frames: number;
  readonly meanMs: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Frames that took longer than two vsyncs. */
  readonly slow: number;
  readonly longTasks: number;
  readonly longTaskMs: number;
}

/** Scrolls the page from the chips' top to their bottom by wheel-sized steps, one per frame. */
function scrollChips(page: Page, step: number): Promise<ScrollFigures> {
  return page.evaluate(async (step) => {
    const scroller = document.scrollingElement as HTMLElement;
    const chips = document.querySelector('.gb-chips') as HTMLElement;
    const top = chips.getBoundingClientRect().top + scroller.scrollTop - 100;
    const end = top + chips.scrollHeight;
    scroller.scrollTop = top;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 100)));
    const long: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries()));
    observer.observe({ type: 'longtask' });
    const intervals: number[] = [];
    let last = performance.now();
    for (let y = top; y < end; y += step) {
      scroller.scrollTop = y;
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const now = performance.now();
      intervals.push(now - last);
      last = now;
    }
    // The last frame's tasks are reported after it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    long.push(...observer.takeRecords());
    observer.disconnect();
    const sorted = [...intervals].sort((a, b) => a - b);
    return {
      frames: intervals.length,
      meanMs: intervals.reduce((a, b) => a + b, 0) / intervals.length,
      p95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
      maxMs: sorted.at(-1) ?? 0,
      slow: intervals.filter((t) => t > 34).length,
      longTasks: long.length,
      longTaskMs: long.reduce((a, e) => a + e.duration, 0),
    };
  }, step);
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `sample` `times` times on each page in turn, so that all feel the same load: each page's samples. */
async function alternate<T>(pages: readonly Page[], times: number, sample: (page: Page, i: number) => Promise<T>): Promise<T[][]> {
  const values: T[][] = pages.map(() => []);
  for (let i = 0; i < times; i++) for (const [p, page] of pages.entries()) values[p].push(await sample(page, i));
  return values;
}

const ms = (t: number): string => `${t.toFixed(1)} ms`;

async function medians(pages: readonly Page[], times: number, sample: (page: Page, i: number) => Promise<number>): Promise<string[]> {
  return (await alternate(pages, times, sample)).map((values) => ms(median(values)));
}

/** Medians of message timings on each page, as "painted, all chips in (long tasks)". */
async function timings(pages: readonly Page[], sample: (page: Page, i: number) => Promise<MessageTiming>): Promise<string[]> {
  const runs = await alternate(pages, repeats, sample);
  return runs.map((r) => `${ms(median(r.map((t) => t.painted)))}, ${ms(median(r.map((t) => t.complete)))} (${median(r.map((t) => t.longTasks))})`);
}

/** Figures for `n` tokens from each page: rows of a table, one column per page. */
async function bench(pages: readonly Page[], roots: readonly string[], n: number): Promise<Record<string, string[]>> {
  for (const [p, page] of pages.entries()) {
    await page.goto(`${pathToFileURL(join(roots[p], 'webview', 'dev', 'preview.html')).href}?theme=dark&tokens=${n}`);
    await page.waitForSelector('.gb-chip-next');
    await page.waitForTimeout(300);
  }
  // Each time another text: the panel builds every chip.
  const fresh = await timings(pages, (page, i) => timeMessage(page, 'show', (i + 1) % 2));
  const provisional = await timings(pages, (page, i) => timeMessage(page, 'tokens', i % 2));
  // The finished inspection of the tokens just painted first.
  const replaced = await timings(pages, async (page, i) => (await timeMessage(page, 'tokens', (i + 1) % 2), timeMessage(page, 'show', (i + 1) % 2)));
  const modes = ['surprisal', 'rank', 'probability'];
  const recolour = await medians(pages, repeats * 2, (page, i) => timeAction(page, { selector: '.gb-tokens vscode-single-select', colour: modes[i % modes.length] }));
  const select = await medians(pages, repeats, (page, i) => timeAction(page, { selector: `.gb-chip[data-index="${Math.floor(n * (0.6 + i / 20))}"]` }));
  const shown = await Promise.all(pages.map((page) => page.locator('.gb-token-details .gb-toplist-row').count()));
  const nodes = await Promise.all(pages.map((page) => page.evaluate(() => document.getElementsByTagName('*').length)));
  const scroll = (await alternate(pages, 3, (page) => scrollChips(page, 100))).map((runs) => ({
    meanMs: median(runs.map((r) => r.meanMs)),
    p95Ms: median(runs.map((r) => r.p95Ms)),
    maxMs: median(runs.map((r) => r.maxMs)),
    slow: median(runs.map((r) => r.slow)),
    frames: runs[0].frames,
    longTasks: median(runs.map((r) => r.longTasks)),
    longTaskMs: median(runs.map((r) => r.longTaskMs)),
  }));
  return {
    tokens: pages.map(() => String(n)),
    'DOM elements': nodes.map(String),
    'new text → painted, all in (long tasks)': fresh,
    'new text tokens-first → same': provisional,
    'finished replaces tokens-first → same': replaced,
    recolour,
    'select far down → details': select.map((t, p) => `${t}${shown[p] ? '' : ' (no details!)'}`),
    'scroll frames': scroll.map((s) => String(s.frames)),
    'scroll frame mean / p95 / max': scroll.map((s) => `${s.meanMs.toFixed(1)} / ${s.p95Ms.toFixed(1)} / ${s.maxMs.toFixed(1)} ms`),
    'scroll frames over 34 ms': scroll.map((s) => String(s.slow)),
    'scroll long tasks': scroll.map((s) => `${s.longTasks} (${ms(s.longTaskMs)})`),
  };
}

async function main(): Promise<void> {
  const roots = baseline ? [baseline, root] : [root];
  for (const checkout of roots) execFileSync('npx', ['tsx', join(checkout, 'webview', 'dev', 'build-preview.ts')], { stdio: 'inherit', cwd: checkout });
  const browser = await chromium.launch({
    executablePath: execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--headless=new'],
  });
  const pages = await Promise.all(roots.map(() => browser.newPage({ viewport: { width, height: 900 } })));
  for (const page of pages) page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  const load = (): string => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`;
  console.log(`${load()}; ${width} px wide; medians of ${repeats} (recolour ${repeats * 2}, scroll 3)${baseline ? `, alternating: ${baseline} | ${root}` : ''}`);
  for (const n of counts.length ? counts : [128, 1000, 2000]) {
    const rows = await bench(pages, roots, n);
    for (const [key, values] of Object.entries(rows)) console.log(`${key.padEnd(40)} ${values.map((v) => v.padEnd(28)).join(' ')}`);
    console.log('');
  }
  await browser.close();
  console.log(load());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
