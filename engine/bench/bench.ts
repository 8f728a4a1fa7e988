// npm run bench: every performance target of the project, measured on a generated GPT-2-small-shaped model
// (12 layers, 12 heads, d=768, ctx 1024; made on first use, never committed), each beside the same figure
// for a plain transformers.js GPT-2 of the same weights run in this process (forward() and generate() of a
// graph without hooks): on a noisy machine the ratio is what counts. Prints a table, then one JSON object.

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TransformersJsBaseline } from './bench-baseline';
import { promptsOf, timedGeneration, TYPED_ON } from './bench-generation';
import { inspectionFlops, prefillFlops } from '../../protocol/model-cost';
import { measureGemmRate } from './bench-gemm';
import { benchModelDir } from './bench-model';
import { peakRss, percentile, resetPeakRss, round } from './bench-stats';
import { defaultCacheDir } from '../models/cache-dir';
import { Gpt2Engine } from '../run/gpt2-engine';
import { OVERHEAD_BYTES } from '../run/memory-budget';
import { prepareModel } from '../models/prepared-model';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'decode-tokens': { type: 'string', default: '32' },
  },
});

const SAMPLE =
  'The residual stream is the sum of the outputs of every earlier layer, and each attention head reads from it ' +
  'and writes back into it. Reading the stream through the unembedding at every layer shows when the model ' +
  'settles on its prediction. function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n';

interface Row {
  readonly target: string;
  readonly measured: number;
  readonly unit: string;
  /** The measured figure must be at most this (or at least, for `atLeast`). */
  readonly limit: number;
  readonly atLeast?: boolean;
  /** The same measurement on the transformers.js baseline, where there is one. */
  readonly baseline?: number;
  /** The least it could be: its fp32 arithmetic at the GEMM rate measured around it. */
  readonly floor?: number;
  /** measured ÷ floor where each run had a floor of its own (the median of the runs' ratios). */
  readonly overFloor?: number;
}

const median = (xs: readonly number[]): number => percentile(xs, 50);
const gib = (bytes: number) => round(bytes / 2 ** 30);

/** Median seconds of `runs` calls after one warm-up call (first runs pay for allocation and kernel choice). */
async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times) / 1000;
}

interface FloorTimed {
  readonly s: number;
  readonly peak: number | null;
  /** The GEMM rate measured right after each run, GFLOP/s. */
  readonly rates: readonly number[];
  /** The median over runs of each run's time ÷ its floor at the rate measured right after it. */
  readonly overFloor: number;
}

/**
 * Like `timed`, for a compute-bound call of `flops` operations: each run is followed by a measurement of the
 * machine's GEMM rate, and compared with the floor at that rate. These VMs' speed drifts within a minute, so
 * a rate measured once before and once after a row of 7 runs gave the runs in between a floor from another
 * moment: the 128-token row read 2.03× its floor that way, 1.38–1.39× run by run. Peak memory is the runs'
 * own: the rate's session comes after each run's peak is read.
 */
async function timedAgainstFloor(modelDir: string, runs: number, flops: number, f: () => Promise<unknown>): Promise<FloorTimed> {
  await f();
  const times: number[] = [];
  const rates: number[] = [];
  let peak: number | null = null;
  for (let i = 0; i < runs; i++) {
    resetPeakRss();
    const t = performance.now();
    await f();
    times.push((performance.now() - t) / 1000);
    const runPeak = peakRss();
    if (runPeak !== null) peak = Math.max(peak ?? 0, runPeak);
    rates.push(await measureGemmRate(modelDir, 3));
  }
  return { s: median(times), peak, rates: rates.map(Math.round), overFloor: median(times.map((t, i) => t / (flops / 1e9 / rates[i]))) };
}

function table(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.target,
    `${r.measured} ${r.unit}`,
    `${r.atLeast ? '≥' : '≤'} ${r.limit} ${r.unit}`,
    (r.atLeast ? r.measured >= r.limit : r.measured <= r.limit) ? 'met' : 'NOT MET',
    r.baseline === undefined ? '' : `${r.baseline} ${r.unit}`,
    r.floor === undefined ? '' : `${r.floor} ${r.unit}`,
    // On these VMs the ratio moves less than either figure: both follow the machine's speed that minute.
    r.floor === undefined ? '' : `${round(r.overFloor ?? r.measured / r.floor)} ×`,
  ]);
  const head = ['target', 'measured', 'goal', '', 'transformers.js baseline', 'arithmetic floor', '÷ floor'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [head, ...cells].map((c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const decodeTokens = Number(values['decode-tokens']);
  const modelDir = benchModelDir(values.model);
  const cacheDir = defaultCacheDir();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  // Model ready: the graph is cached (as after a first use), the weights are in the OS file cache.
  prepareModel(modelDir, cacheDir);
  const loadStart = performance.now();
  const engine = await Gpt2Engine.load({ modelDir, cacheDir, device: 'cpu' });
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const rssLoaded = process.memoryUsage().rss;
  rows.push({ target: 'model ready, files cached', measured: round(loadSeconds), unit: 's', limit: 3 });
  rows.push({ target: 'resident memory, loaded', measured: gib(rssLoaded), unit: 'GiB', limit: 1 });

  // Rows timed as a whole (the cold completion's): the machine's GEMM rate just before and after the row, its
  // floor at the better. One rate for the whole run misled: it went from 89 to 182 GFLOP/s within one bench
  // run on these VMs.
  const gemmRates: Record<string, readonly number[]> = {};
  const atRate = async <T>(row: string, measure: () => Promise<T>): Promise<T> => {
    const before = await measureGemmRate(modelDir);
    const result = await measure();
    gemmRates[row] = [before, await measureGemmRate(modelDir)].map(Math.round);
    return result;
  };
  const floorSeconds = (row: string, flops: number) => round(flops / 1e9 / Math.max(...gemmRates[row]));

  // Hooked inspections, full runs, with every layer's full attention patterns (the targets ask for them;
  // up to 256 tokens the panel gets them all too). At 1,024 tokens also as the panel asks: one layer's full
  // patterns and every layer's thumbnails, the others fetched when chosen; that is the memory target's row.
  // The two target rows (128 and 512 tokens) are timed run by run against the GEMM rate after each run.
  const tokens = engine.tokenize(SAMPLE.repeat(60));
  const inspect: Record<string, { s: number; peak_rss_gib: number | null }> = {};
  const overFloor: Record<string, number> = {};
  const runsOf: [string, number, readonly number[] | 'all'][] = [
    ['16', 16, 'all'],
    ['128', 128, 'all'],
    ['512', 512, 'all'],
    ['1024 as the panel asks', 1024, [0]],
    ['1024 every layer', 1024, 'all'],
  ];
  for (const [name, n, patternLayers] of runsOf) {
    // 1,024 tokens take a quarter of a minute a run: one warm-up and one timed run say enough. Short texts
    // take a second or less, where a median of 3 moved by 25% between bench runs: 7 of them.
    const count = n >= 1024 ? 1 : n <= 128 ? Math.max(runs, 7) : runs;
    const run = () => engine.inspectTokens(tokens.slice(0, n), { topK: 10, reusePrefix: false, patternLayers });
    let s: number;
    let peak: number | null;
    if (n === 128 || n === 512) {
      const timedRuns = await timedAgainstFloor(modelDir, count, inspectionFlops(engine.summary, n), run);
      ({ s, peak } = timedRuns);
      gemmRates[name] = timedRuns.rates;
      overFloor[name] = round(timedRuns.overFloor);
    } else {
      resetPeakRss();
      s = await timed(count, run);
      peak = peakRss();
    }
    inspect[name] = { s: round(s), peak_rss_gib: peak === null ? null : gib(peak) };
  }
  details.inspect = inspect;
  // A layer the 1,024-token inspection did not carry, from its kept queries and keys, as the panel asks.
  const layerTimes: number[] = [];
  await engine.inspectTokens(tokens.slice(0, 1024), { topK: 10, reusePrefix: false, patternLayers: [0] });
  for (let layer = 1; layer <= runs; layer++) {
    const t = performance.now();
    await engine.attentionPattern(tokens.slice(0, 1024).map((x) => x.id), layer);
    layerTimes.push(performance.now() - t);
  }
  details.layer_pattern_on_request_1024_ms = layerTimes.map(Math.round);
  const budget = statSync(join(modelDir, 'model.safetensors')).size + OVERHEAD_BYTES;

  // Re-inspecting after a small edit near the end runs only the tail on the cached keys and values.
  const base = tokens.slice(0, 512);
  const edited = [...base.slice(0, 509), ...tokens.slice(600, 603)];
  const reinspectTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    await engine.inspectTokens(base, { topK: 10, reusePrefix: false, patternLayers: 'all' });
    const t = performance.now();
    await engine.inspectTokens(edited, { topK: 10, patternLayers: 'all' });
    reinspectTimes.push((performance.now() - t) / 1000);
  }
  const reinspect = median(reinspectTimes);
  details.reinspect_512_after_edit = { s: round(reinspect), reused_tokens: engine.lastReusedTokens };

  // Completions at 256 tokens of context: cold (a prompt unrelated to the last generation) and warm (that
  // prompt typed on by a few characters, so the last generation's cache covers all but the new tokens).
  const promptAt = promptsOf(engine);
  await timedGeneration(engine, promptAt(0, 256), 1);
  const cold: number[] = [];
  const warm: number[] = [];
  await atRate('completion_256', async () => {
    for (let i = 1; i <= Math.max(runs, 5); i++) {
      const prompt = promptAt(i * 5, 256);
      cold.push((await timedGeneration(engine, prompt, 8)).firstTokenMs);
      warm.push((await timedGeneration(engine, prompt + TYPED_ON, 8)).firstTokenMs);
    }
  });

  // Decoding. The hooks' cost: a fresh hooked engine (hooks off) against a fresh plain graph of the same
  // weights. The engine that ran the inspections above decodes a few percent slower than a fresh one (its
  // onnxruntime arena keeps their buffers), hooks or not, so it is reported beside them, not in the ratio.
  // Engines take turns: where one stands in a turn moved its rate by up to 15%. And each pair is loaded
  // afresh several times, half of them in each order: of two sessions, the one loaded first decodes up to
  // ~8% slower, whatever its graph (single steps of the raw sessions: hooked ÷ plain 0.94 and 0.95 with the
  // hooked graph loaded first, 1.09 and 1.09 with the plain one first; the graphs run the same kernels, 359
  // and 357 nodes a step). The ratio is the geometric mean over the pairs, so the two orders weigh the same.
  const prompt = SAMPLE.slice(0, 80);
  const rate = async (e: Gpt2Engine) => (await timedGeneration(e, prompt, decodeTokens)).decodeRate;
  // Every order of the three, so each engine runs first, second and third equally often.
  const orders = [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
    [1, 0, 2],
    [0, 2, 1],
  ];
  const rates: number[][] = [[], [], []];
  const pairRatios: number[] = [];
  for (let pair = 0; pair < 6; pair++) {
    const load = (withHooks: boolean) => Gpt2Engine.load({ modelDir, cacheDir, device: 'cpu', withHooks });
    const first = await load(pair % 2 === 0);
    const second = await load(pair % 2 !== 0);
    const [freshHooked, plain] = pair % 2 === 0 ? [first, second] : [second, first];
    const decoders = [engine, freshHooked, plain] as const;
    for (const e of decoders) await rate(e);
    const pairRates: number[][] = [[], [], []];
    for (let i = 0; i < Math.max(runs, 4); i++) for (const j of orders[(pair + i) % orders.length]) pairRates[j].push(await rate(decoders[j]));
    pairRates.forEach((r, j) => rates[j].push(...r));
    pairRatios.push(median(pairRates[1]) / median(pairRates[2]));
    await freshHooked.dispose();
    await plain.dispose();
  }
  const [inspectedRate, hookedRate] = rates.map(median);

  // The transformers.js baseline: forward() for the inspections, generate() for the completions.
  const baseline = await TransformersJsBaseline.load(modelDir, cacheDir);
  const ids = (n: number) => tokens.slice(0, n).map((t) => t.id);
  const forward = async (n: number) => round(await timed(runs, () => baseline.forward(ids(n))));
  const promptIds = engine.tokenize(promptAt(5, 256)).map((t) => t.id);
  const baselineFirst = await timed(runs, () => baseline.generate(promptIds, 1));
  const shortIds = engine.tokenize(prompt).map((t) => t.id);
  const oneToken = await timed(runs, () => baseline.generate(shortIds, 1));
  const manyTokens = await timed(runs, () => baseline.generate(shortIds, decodeTokens + 1));
  const baselineRate = decodeTokens / (manyTokens - oneToken);
  const baselineForward = { 128: await forward(128), 512: await forward(512) };
  await baseline.dispose();

  const inspectionRow = (n: 128 | 512, limit: number): Row => {
    const rate = median(gemmRates[n]);
    return { target: `hooked inspection, ${n} tokens`, measured: inspect[n].s, unit: 's', limit, baseline: baselineForward[n], floor: round(inspectionFlops(engine.summary, n) / 1e9 / rate), overFloor: overFloor[n] };
  };
  rows.push(inspectionRow(128, 1.3), inspectionRow(512, 6));
  const peak1024 = inspect['1024 as the panel asks'].peak_rss_gib;
  if (peak1024 !== null) rows.push({ target: 'inspection of 1,024 tokens: peak memory', measured: peak1024, unit: 'GiB', limit: gib(budget) });
  rows.push({ target: 're-inspect 512 after an edit ÷ full run', measured: round(reinspect / inspect['512'].s), unit: '×', limit: 0.25 });
  rows.push({ target: 'completion first token, 256 ctx, warm', measured: Math.round(median(warm)), unit: 'ms', limit: 100 });
  rows.push({ target: 'completion first token, 256 ctx, cold', measured: Math.round(median(cold)), unit: 'ms', limit: 400, baseline: Math.round(baselineFirst * 1000), floor: Math.round(floorSeconds('completion_256', prefillFlops(engine.summary, 256)) * 1000) });
  rows.push({ target: 'greedy decode, after the inspections', measured: round(inspectedRate), unit: 'tok/s', limit: 31, atLeast: true, baseline: round(baselineRate) });
  rows.push({ target: 'decode, hooked ÷ plain graph (both fresh)', measured: round(Math.exp(pairRatios.reduce((sum, r) => sum + Math.log(r), 0) / pairRatios.length)), unit: '×', limit: 0.95, atLeast: true });

  const activation = JSON.parse(execFileSync(process.execPath, [join(__dirname, 'bench-activation.js')], { encoding: 'utf8' })) as { activation: { first_ms: { total: number } } };
  rows.push({ target: 'extension activation (load + activate)', measured: activation.activation.first_ms.total, unit: 'ms', limit: 50 });

  details.completion_256 = { cold_ms: cold.map(Math.round), warm_ms: warm.map(Math.round), baseline_first_token_ms: Math.round(baselineFirst * 1000) };
  details.decode = {
    prompt_tokens: shortIds.length,
    new_tokens: decodeTokens,
    after_inspections_tok_s: rates[0].map(round),
    fresh_hooked_tok_s: rates[1].map(round),
    fresh_plain_graph_tok_s: rates[2].map(round),
    // Pairs alternate which graph is loaded first, the hooked one in the first pair.
    hooked_over_plain_by_fresh_pair: pairRatios.map(round),
    after_inspections_over_fresh: round(inspectedRate / hookedRate),
    transformers_js_tok_s: round(baselineRate),
  };
  details.activation = activation.activation;
  console.log(table(rows));
  console.log(
    JSON.stringify(
      {
        model: { ...engine.summary, randomWeights: engine.randomWeights },
        backend: engine.backend,
        targets: rows.map((r) => ({ ...r, met: r.atLeast ? r.measured >= r.limit : r.measured <= r.limit })),
        memory_budget_gib: gib(budget),
        // Per inspection row, the rate after each timed run; for the completion row, before and after it.
        gemm_gflops: gemmRates,
        ...details,
      },
      null,
      2,
    ),
  );
  await engine.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
