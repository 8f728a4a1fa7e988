// npm run bench, completion part: how soon the first suggested token comes at 64, 256 and 900 tokens of
// context, cold (a prompt unrelated to the previous generation) and warm (that prompt extended by a few
// characters, as typing on does, so the previous generation's KV cache covers all but the new tokens), and
// how fast a 32-token greedy continuation runs once started. The engine runs in this process, so the times
// are the engine's alone; scripts/bench-typing.ts measures the whole path through the model process.
// Prints one JSON object, keyed `completions`.

import { parseArgs } from 'node:util';
import { benchModelDir } from './bench-model';
import { percentile, round } from './bench-stats';
import { defaultCacheDir } from '../models/cache-dir';
import { promptsOf, timedGeneration, TYPED_ON, type TimedGeneration } from './bench-generation';
import { Gpt2Engine } from '../run/gpt2-engine';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    contexts: { type: 'string', default: '64,256,900' },
    'new-tokens': { type: 'string', default: '32' },
  },
});

function summary(runs: readonly TimedGeneration[]) {
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
  const promptAt = promptsOf(engine);

  const contexts: Record<string, { cold: ReturnType<typeof summary>; warm: ReturnType<typeof summary>; warm_over_cold: number }> = {};
  let shift = 0;
  for (const n of values.contexts.split(',').map(Number)) {
    // Warm-up: the first run at a length pays for allocating its buffers.
    await timedGeneration(engine, promptAt(shift++ * 5, n), newTokens);
    const cold: TimedGeneration[] = [];
    const warm: TimedGeneration[] = [];
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
