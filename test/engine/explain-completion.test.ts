// What "Explain this completion" shows, held to what the model did when it wrote the completion: the prompt
// and the generated tokens are inspected as the exact ids (never the joined text tokenized again), and each
// generated token's probability there is the one the model gave it at generation time. With greedy decoding
// each generated token is also the model's top guess (rank 0) where it was chosen.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import type { Generation } from '../../engine/run/generation';
import { ModelServer } from '../../engine/model-server';
import { GlassboxError } from '../../protocol/errors';
import type { Inspection } from '../../protocol/inspection';
import type { InspectResult, ModelToHost } from '../../protocol/model-messages';
import { generatedModel, SHAPES, testCacheDir } from './generated-models';

// Generation runs with a KV cache, one new position at a time; the inspection runs the whole sequence at once.
// The two differ only by float32 rounding. Relative, because a random model spreads its probability thinly
// (most are around 1/50,257), where an absolute bound would hide a factor of two.
const RELATIVE_TOLERANCE = 1e-4;

function assertSameProbability(inspected: number, generated: number, what: string): void {
  const close = Math.abs(inspected - generated) <= RELATIVE_TOLERANCE * Math.max(inspected, generated);
  assert.ok(close, `${what}: inspection ${inspected}, generation ${generated}`);
}

/** The prompt and the generation inspected as the exact ids the model read and wrote. */
async function inspectGeneration(engine: Gpt2Engine, prompt: string, generation: Generation): Promise<Inspection> {
  const ids = [...engine.tokenize(prompt).map((t) => t.id), ...generation.tokens.map((t) => t.id)];
  return engine.inspectTokens(engine.tokensOf(prompt + generation.text, ids), { topK: 5 });
}

describe('a completion explained: the inspection of prompt + generated tokens agrees with the generation', () => {
  let engine: Gpt2Engine;
  before(async () => {
    engine = await Gpt2Engine.load({ modelDir: generatedModel(SHAPES.small), cacheDir: testCacheDir(), device: 'cpu' });
  });
  after(() => engine.dispose());

  test('greedy: each generated token is rank 0 where it was chosen, with the probability it had then', async () => {
    const prompt = 'The cat sat on the';
    const generation = await engine.generate(prompt, { maxNewTokens: 10 });
    assert.equal(generation.tokens.length, 10);
    const inspection = await inspectGeneration(engine, prompt, generation);
    const first = generation.promptTokens;
    generation.tokens.forEach((token, i) => {
      // Token j is predicted at position j − 1.
      const at = first + i - 1;
      assert.equal(inspection.tokens[first + i].id, token.id);
      assert.equal(inspection.next.rank.data[at], 0, `generated token ${i} is the top guess`);
      assert.ok(token.prob > 0 && token.prob <= 1, `generated token ${i}: probability ${token.prob}`);
      assertSameProbability(inspection.next.prob.data[at], token.prob, `generated token ${i}`);
    });
  });

  test('sampled: the probability is the model’s own, before the temperature, as the inspection reports it', async () => {
    const prompt = 'Once upon a time';
    const generation = await engine.generate(prompt, { maxNewTokens: 8, temperature: 1.7, topK: 0, seed: 11 });
    const inspection = await inspectGeneration(engine, prompt, generation);
    const first = generation.promptTokens;
    assert.ok(generation.tokens.some((_, i) => inspection.next.rank.data[first + i - 1] > 0), 'a temperature this high picks some token other than the top guess');
    generation.tokens.forEach((token, i) => {
      const at = first + i - 1;
      assertSameProbability(inspection.next.prob.data[at], token.prob, `sampled token ${i}`);
    });
  });

  test('where prompt and completion meet, the ids are kept even when the joined text tokenizes otherwise', () => {
    // A prompt ending in a space and a completion starting a word: GPT-2 would spell the joined text " happy".
    const ids = [...engine.tokenize('I am ').map((t) => t.id), ...engine.tokenize('happy').map((t) => t.id)];
    const retokenized = engine.tokenize('I am happy');
    assert.notDeepEqual(retokenized.map((t) => t.id), ids);
    const tokens = engine.tokensOf('I am happy', ids);
    assert.deepEqual(tokens.map((t) => t.id), ids);
    assert.deepEqual(tokens.map((t) => [t.start, t.end]), [[0, 1], [1, 4], [4, 5], [5, 10]]);
  });

  test('ids that do not spell the text, or are outside the vocabulary, are refused', () => {
    const ids = engine.tokenize('I am').map((t) => t.id);
    assert.throws(() => engine.tokensOf('I am here', ids), (e: unknown) => e instanceof GlassboxError && e.code === 'bad-request' && /do not spell/.test(e.message));
    assert.throws(() => engine.tokensOf('I am', [ids[0], 1e9]), (e: unknown) => e instanceof GlassboxError && e.code === 'bad-request' && /outside the vocabulary/.test(e.message));
  });
});

describe('inspect/run with ids, as the Inspect panel asks for an explanation', () => {
  const answers = new Map<number, (message: ModelToHost) => void>();
  const server = new ModelServer((message) => {
    if ((message.type === 'result' || message.type === 'error') && message.id !== null) answers.get(message.id)?.(message);
  });
  let nextId = 1;
  const ask = (method: 'model/load' | 'inspect/run', params: unknown): Promise<ModelToHost> =>
    new Promise((resolve) => {
      const id = nextId++;
      answers.set(id, resolve);
      server.receive({ type: 'request', id, method, params });
    });

  before(async () => {
    const loaded = await ask('model/load', { source: { kind: 'folder', path: generatedModel(SHAPES.small) }, device: 'cpu', storageDir: testCacheDir() });
    assert.equal(loaded.type, 'result');
  });
  after(() => server.dispose());

  test('the inspection has exactly the ids sent, with offsets into the text', async () => {
    const answer = await ask('inspect/run', { text: 'I am happy', ids: [40, 716, 220, 34191], topK: 3, targetId: null, windowToContext: true });
    assert.equal(answer.type, 'result');
    const { inspection } = (answer as { result: InspectResult }).result;
    assert.deepEqual(inspection.tokens.map((t) => t.id), [40, 716, 220, 34191]);
    assert.deepEqual(inspection.tokens.map((t) => t.text), ['I', ' am', ' ', 'happy']);
  });

  test('ids that do not spell the text are answered with a bad-request error', async () => {
    const answer = await ask('inspect/run', { text: 'I am sad', ids: [40, 716, 220, 34191], topK: 3, targetId: null, windowToContext: true });
    assert.equal(answer.type === 'error' && answer.error.code, 'bad-request');
  });
});
