// npm run bench, experiments part: what attribution, ablation, patching and routes cost, each beside the
// baseline the issue holds it to, measured in this process on the same model:
//   - an ablated inspection ÷ a plain one (same text, 128 tokens): the plain path has no intervention nodes;
//     the ablated one runs the intervention graph — "live" means ≤ 1.1×;
//   - attribution at the last of 128 tokens (one run of the intervention graph, then the decomposition);
//   - a hook_resid_pre patching sweep over 20 tokens as the CLI runs it (batched, each patch from its position
//     and layer on), ÷ the naive one: one whole patched forward at a time — ≤ 0.5×, and ≤ 3 s;
//   - routes of 128 tokens ÷ a plain inspection — ≤ 0.5× extra;
//   - what a head writes at the last of 128 tokens (one run, six products with W_U in JavaScript) — ≤ 1 s.
// Prints a table, then one JSON object keyed `experiments`.

import { parseArgs } from 'node:util';
import { benchModelDir } from './bench-model';
import { percentile, round } from './bench-stats';
import { defaultCacheDir } from '../models/cache-dir';
import { Gpt2Engine } from '../run/gpt2-engine';

const { values } = parseArgs({ options: { model: { type: 'string' }, runs: { type: 'string', default: '3' } } });

const SAMPLE =
  'The residual stream carries what every layer writes into it, and each attention head reads from it what it needs. ';

async function once(work: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await work();
  return (performance.now() - t) / 1000;
}

async function seconds(runs: number, work: () => Promise<unknown>): Promise<number> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once(work));
  return percentile(times, 50);
}

/**
 * The sweep as the CLI runs it and the naive one, in pairs: the load of the shared machine changes within
 * a minute, and a pair's ratio moves less than either time. Medians of the times and of the pairs' ratios.
 */
async function sweeps(runs: number, batched: () => Promise<unknown>, naive: () => Promise<unknown>): Promise<{ batched: number; naive: number; ratio: number }> {
  await batched(); // warm-up
  const pairs: { batched: number; naive: number }[] = [];
  for (let i = 0; i < runs; i++) pairs.push({ batched: await once(batched), naive: await once(naive) });
  const median = (xs: number[]) => percentile(xs, 50);
  return { batched: median(pairs.map((p) => p.batched)), naive: median(pairs.map((p) => p.naive)), ratio: median(pairs.map((p) => p.batched / p.naive)) };
}

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const engine = await Gpt2Engine.load({ modelDir: benchModelDir(values.model), cacheDir: defaultCacheDir(), device: 'cpu' });
  try {
    const experiments = await engine.experiments();
    const tokens = engine.tokenize(SAMPLE.repeat(10)).slice(0, 128);
    const ids = tokens.map((t) => t.id);
    const plain = await seconds(runs, () => engine.inspectTokens(tokens, { topK: 10, reusePrefix: false, patternLayers: 'all' }));
    const ablated = await seconds(runs, () => engine.inspectTokens(tokens, { topK: 10, patternLayers: 'all', ablation: { ablations: [{ hook: 'attn.hook_z', layer: 0, unit: 0 }], mode: 'zero' } }));
    const metric = { targetId: ids[1], versusId: ids[2] };
    const attribution = await seconds(runs, () => experiments.attribute(ids, ids.length - 1, metric));
    const routes = await seconds(runs, () => experiments.routes(ids));
    const writes = await seconds(runs, () => experiments.headWrites(ids, ids.length - 1, 5, 1, { sources: 5, top: 5 }));
    const clean = ids.slice(0, 20);
    const corrupt = [...clean.slice(0, 10), ids[40], ...clean.slice(11)];
    const { batched, naive, ratio } = await sweeps(runs, () => experiments.patch(clean, corrupt, 'hook_resid_pre', metric), () =>
      experiments.patch(clean, corrupt, 'hook_resid_pre', metric, { batchTokens: clean.length, reusePrefix: false }),
    );
    const rows: [string, string, string][] = [
      ['plain inspection, 128 tokens (baseline)', `${round(plain)} s`, ''],
      ['ablated inspection, 128 tokens ÷ plain', `${round(ablated / plain)} ×`, '≤ 1.1 ×'],
      ['attribution at the last of 128 tokens', `${round(attribution)} s`, ''],
      ['routes, 128 tokens ÷ plain inspection', `${round(routes / plain)} ×`, '≤ 0.5 ×'],
      ['what a head writes, at the last of 128 tokens', `${round(writes)} s`, '≤ 1 s'],
      [`hook_resid_pre sweep, 20 tokens × ${engine.summary.nLayer} layers`, `${round(batched)} s`, '≤ 3 s'],
      [`… ÷ the naive sweep (one whole patched forward at a time, ${round(naive)} s)`, `${round(ratio)} ×`, '≤ 0.5 ×'],
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) console.log(r.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd());
    console.log(JSON.stringify({ experiments: { plain_s: round(plain), ablated_s: round(ablated), attribution_s: round(attribution), routes_s: round(routes), head_writes_s: round(writes), sweep_batched_s: round(batched), sweep_naive_s: round(naive), sweep_ratio: round(ratio) } }));
  } finally {
    await engine.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
