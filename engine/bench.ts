// npm run bench: speed and memory of the engine on a generated GPT-2-small-shaped model (12 layers,
// 12 heads, d=768, ctx 1024; made on first use, never committed). Prints one JSON object; ratios against
// a baseline run in the same process are what count on a noisy machine.

import { parseArgs } from 'node:util';
import { benchModelDir } from './bench-model';
import { percentile, round } from './bench-stats';
import { defaultCacheDir } from './cache-dir';
import { Gpt2Engine } from './gpt2-engine';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    lengths: { type: 'string', default: '16,128,512' },
    'decode-tokens': { type: 'string', default: '32' },
  },
});

const SAMPLE =
  'The residual stream is the sum of the outputs of every earlier layer, and each attention head reads from it ' +
  'and writes back into it. Reading the stream through the unembedding at every layer shows when the model ' +
  'settles on its prediction. function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n';

const median = (xs: readonly number[]): number => percentile(xs, 50);

async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: first runs pay for allocation and kernel selection
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times) / 1000;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const modelDir = benchModelDir(values.model);
  const rssBefore = process.memoryUsage().rss;
  const loadStart = performance.now();
  const engine = await Gpt2Engine.load({ modelDir, cacheDir: defaultCacheDir(), device: 'cpu' });
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const rssLoaded = process.memoryUsage().rss;

  const all = engine.tokenize(SAMPLE.repeat(60));
  const inspect: Record<string, { hooked_s: number; plain_s: number; hooked_over_plain: number }> = {};
  let peakRss = rssLoaded;
  for (const n of values.lengths.split(',').map(Number)) {
    const tokens = all.slice(0, n);
    const hooked = await timed(runs, () => engine.inspectTokens(tokens, { topK: 10, reusePrefix: false }));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const plain = await timed(runs, () => engine.logits(tokens));
    inspect[String(n)] = { hooked_s: round(hooked), plain_s: round(plain), hooked_over_plain: round(hooked / plain) };
  }

  // Re-inspecting after a small edit near the end runs only the tail on the cached keys and values.
  const base = all.slice(0, 512);
  const edited = [...base.slice(0, 509), ...all.slice(600, 603)];
  const reinspectTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    await engine.inspectTokens(base, { topK: 10, reusePrefix: false });
    const t = performance.now();
    await engine.inspectTokens(edited, { topK: 10 });
    reinspectTimes.push((performance.now() - t) / 1000);
  }
  const reinspectEdit = median(reinspectTimes);

  // Generation must not pay for hooks: the same weights as a plain graph, decoding in turns with the hooked
  // one so both see the same machine load.
  const plain = await Gpt2Engine.load({ modelDir, cacheDir: defaultCacheDir(), device: 'cpu', withHooks: false });
  const decodeTokens = Number(values['decode-tokens']);
  const prompt = SAMPLE.slice(0, 80);
  const decode = async (e: Gpt2Engine) => {
    const g = await e.generate(prompt, { maxNewTokens: decodeTokens });
    return { rate: g.tokens.length / g.seconds, promptTokens: g.promptTokens, newTokens: g.tokens.length };
  };
  await decode(engine);
  await decode(plain);
  const hookedRates: number[] = [];
  const plainRates: number[] = [];
  let generation = { promptTokens: 0, newTokens: 0 };
  for (let i = 0; i < runs; i++) {
    const h = await decode(engine);
    hookedRates.push(h.rate);
    plainRates.push((await decode(plain)).rate);
    generation = h;
  }
  const tokensPerSecond = median(hookedRates);
  const plainTokensPerSecond = median(plainRates);
  const forward128 = all.slice(0, 128);
  const hookedGraphForward = await timed(runs, () => engine.logits(forward128));
  const plainGraphForward = await timed(runs, () => plain.logits(forward128));
  await plain.dispose();

  console.log(
    JSON.stringify(
      {
        model: { ...engine.summary, randomWeights: engine.randomWeights },
        backend: engine.backend,
        load_s: round(loadSeconds),
        rss_mb: { before_load: mb(rssBefore), loaded: mb(rssLoaded), peak_inspect: mb(peakRss) },
        inspect,
        reinspect_512_after_edit: { s: round(reinspectEdit), reused_tokens: engine.lastReusedTokens, over_full_run: round(reinspectEdit / (inspect['512']?.hooked_s ?? Number.NaN)) },
        greedy_decode: {
          prompt_tokens: generation.promptTokens,
          new_tokens: generation.newTokens,
          tokens_per_s: round(tokensPerSecond),
          plain_graph_tokens_per_s: round(plainTokensPerSecond),
          hooked_over_plain_speed: round(tokensPerSecond / plainTokensPerSecond),
        },
        forward_128_hooks_off_s: { hooked_graph: round(hookedGraphForward), plain_graph: round(plainGraphForward), ratio: round(hookedGraphForward / plainGraphForward) },
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
