// npm run bench, completion part: how soon the first suggested token comes at 64, 256 and 900 tokens of
// context, cold (a prompt unrelated to the previous generation) and warm (that prompt extended by a few
// characters, as typing on does, so the previous generation's KV cache covers all but the new tokens), and
// how fast a 32-token greedy continuation runs once started. The engine runs in this process, so the times
// are the engine's alone; scripts/bench-typing.ts measures the whole path through the model process.
// Prints one JSON object, keyed `completions`.

import { parseArgs } from 'node:util';
import { benchModelDir } from './bench-model';
import { percentile, round } from './bench-stats';
import { defaultCacheDir } from './cache-dir';
import { Gpt2Engine } from './gpt2-engine';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    contexts: { type: 'string', default: '64,256,900' },
    'new-tokens': { type: 'string', default: '32' },
  },
});

const PROSE =
  'The lighthouse keeper wrote down the weather every morning, though nobody had asked him to for years. ' +
  'Ships no longer needed the lamp, and the harbour office had stopped reading his reports, but the habit ' +
  'kept the days apart. On the first page of each notebook he copied the same sentence from his father: ' +
  'a light is only useful to someone who is not looking at it. ';
/** What the user types after the first suggestion: a few characters, so the prompt's tokens stay a prefix. */
const TYPED_ON = ' and the';

interface Run {
  readonly firstTokenMs: number;
  /** Tokens per second after the first token: decoding alone, without reading the prompt. */
  readonly decodeRate: number;
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly reusedTokens: number;
}

async function timedGeneration(engine: Gpt2Engine, prompt: string, maxNewTokens: number): Promise<Run> {
  const stamps: number[] = [];
  const started = performance.now();
  const g = await engine.generate(prompt, { maxNewTokens, onToken: () => stamps.push(performance.now()) });
  const decodeMs = stamps[stamps.length - 1] - stamps[0];
  return {
    firstTokenMs: stamps[0] - started,
    decodeRate: stamps.length > 1 ? ((stamps.length - 1) * 1000) / decodeMs : Number.NaN,
    promptTokens: g.promptTokens,
    newTokens: g.tokens.length,
    reusedTokens: g.reusedTokens,
  };
}

function summary(runs: readonly Run[]) {
  return {
    first_token_ms_p50: Math.round(percentile(runs.map((r) => r.firstTokenMs), 50)),
    first_token_ms_each: runs.map((r) => Math.round(r.firstTokenMs)),
    decode_tokens_per_s_p50: round(percentile(runs.map((r) => r.decodeRate), 50)),
    prompt_tokens: runs[0].promptTokens,
    new_tokens: runs[0].newTokens,
    reused_tokens: runs[0].reusedTokens,
  };
}

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const newTokens = Number(values['new-tokens']);
  // Hooked, as the model process loads it: completions run on the hooked graph with its hooks switched off.
  const engine = await Gpt2Engine.load({ modelDir: benchModelDir(values.model), cacheDir: defaultCacheDir(), device: 'cpu' });
  const corpus = PROSE.repeat(40);
  const all = engine.tokenize(corpus);
  /** `n` tokens of the corpus from token `from`: a different `from` gives a prompt with no shared prefix. */
  const promptAt = (from: number, n: number) => corpus.slice(all[from].start, all[from + n - 1].end);

  const contexts: Record<string, { cold: ReturnType<typeof summary>; warm: ReturnType<typeof summary>; warm_over_cold: number }> = {};
  let shift = 0;
  for (const n of values.contexts.split(',').map(Number)) {
    // Warm-up: the first run at a length pays for allocating its buffers.
    await timedGeneration(engine, promptAt(shift++ * 5, n), newTokens);
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let i = 0; i < runs; i++) {
      // Each cold prompt starts at a new token, so it shares no prefix with the warm prompt generated before it.
      const prompt = promptAt(shift++ * 5, n);
      cold.push(await timedGeneration(engine, prompt, newTokens));
      warm.push(await timedGeneration(engine, prompt + TYPED_ON, newTokens));
    }
    const c = summary(cold);
    const w = summary(warm);
    contexts[String(n)] = { cold: c, warm: w, warm_over_cold: round(w.first_token_ms_p50 / c.first_token_ms_p50) };
  }
  console.log(
    JSON.stringify(
      {
        completions: {
          model: { ...engine.summary, randomWeights: engine.randomWeights },
          backend: engine.backend,
          runs,
          warm_typed_on: TYPED_ON,
          greedy_new_tokens: newTokens,
          contexts,
        },
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
