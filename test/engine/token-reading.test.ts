// The tokens' reading: the model's own next-token distribution, from a plain forward (readTokens, what
// surprisal highlighting reads) held to the plain-loop reference, and from an inspection's forward before its
// earlier lens points run (`onTokens`, what the panel paints first) held to the full inspection that follows
// (whose last lens point is the same distribution).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import { nextTokenStats } from '../../engine/run/token-reading';
import type { TokenReading } from '../../protocol/inspection';
import { generatedModel, referenceModel, SHAPES, testCacheDir } from './generated-models';
import { referenceForward, referenceNext, softmax } from './reference-gpt2';

const TOLERANCE = 1e-4;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const same = Number.isNaN(expected[i]) ? Number.isNaN(actual[i]) : Math.abs(actual[i] - expected[i]) <= TOLERANCE;
    if (!same) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${expected[i]}`);
  }
}

test('next-token statistics of a row of logits: top-k largest first, entropy in nats, the next token\'s probability and how many score higher', () => {
  // Two positions over a vocabulary of four; the text is tokens [2, 0].
  const logits = new Float32Array([0, 1, 3, 2, /**/ 5, 5, 0, -1]);
  const stats = nextTokenStats(logits, [2, 0], 4, 2);
  assert.deepEqual(Array.from(stats.topIds), [2, 3, /**/ 0, 1], 'ties go to the lower id');
  const p0 = softmax([0, 1, 3, 2]);
  assertClose(stats.topProbs.subarray(0, 2), [p0[2], p0[3]], 'top probabilities');
  assertClose([stats.nextProb[0]], [p0[0]], 'the probability of token 0 after position 0');
  assert.equal(stats.nextRank[0], 3, 'three tokens score higher than token 0');
  assert.ok(Number.isNaN(stats.nextProb[1]) && stats.nextRank[1] === -1, 'the last position has no next token');
  assertClose([stats.entropy[0]], [-p0.reduce((h, p) => h + p * Math.log(p), 0)], 'entropy');
});

describe('the tokens painted first, on a generated model', () => {
  let engine: Gpt2Engine;
  const dir = generatedModel(SHAPES.long);
  const { config, weights } = referenceModel(dir);
  const TEXT = 'Every evening at dusk, the keeper climbed the hundred and twelve steps of the tower, wound the clockwork that turned the great lens, and lit the lamp.';

  before(async () => {
    engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
  });
  after(() => engine.dispose());

  test('readTokens is the reference forward\'s final distribution: next token, top-k, entropy', async () => {
    const tokens = engine.tokenize(TEXT);
    const ids = tokens.map((t) => t.id);
    const reading = await engine.readTokens(tokens, 5);
    const run = referenceForward(config, weights, ids);
    const next = referenceNext(run.logits, ids);
    assertClose(reading.next.prob.data, next.prob, 'next.prob');
    assert.deepEqual(Array.from(reading.next.rank.data), next.rank, 'next.rank');
    for (let t = 0; t < ids.length; t++) {
      const p = softmax(run.logits[t]);
      const expected = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b).slice(0, 5);
      assertClose(reading.top.probs.data.subarray(t * 5, t * 5 + 5), expected.map((id) => p[id]), `top probs at ${t}`);
      assertClose([reading.entropy.data[t]], [-p.reduce((h, x) => h + (x > 0 ? x * Math.log(x) : 0), 0)], `entropy at ${t}`);
    }
    assert.ok(ids.every((id) => reading.pieces[id]?.id === id), 'every token\'s piece');
  });

  test('a token holding part of a character carries its bytes, in the tokens and in the pieces of a reading and an inspection', async () => {
    // GPT-2 splits "’" (E2 80 99) into 447 (E2 80) and 247 (99); each decodes alone to a bare U+FFFD.
    const text = 'It’s a fox: 🦊.';
    const tokens = engine.tokenize(text);
    const at = tokens.findIndex((t) => t.id === 447);
    assert.deepEqual(tokens.slice(at, at + 2), [
      { id: 447, text: '\uFFFD', bytes: [0xe2, 0x80], start: 2, end: 3 },
      { id: 247, text: '\uFFFD', bytes: [0x99], start: 2, end: 3 },
    ]);
    assert.equal(tokens[0].bytes, undefined, 'a token of whole characters has none');
    assert.ok(tokens.filter((t) => t.text.includes('\uFFFD')).length >= 4, 'the fox is split too');
    const reading = await engine.readTokens(tokens, 5);
    const inspection = await engine.inspectTokens(tokens, { topK: 5 });
    for (const pieces of [reading.pieces, inspection.pieces]) {
      assert.deepEqual(pieces[447], { id: 447, text: '\uFFFD', bytes: [0xe2, 0x80] });
      for (const token of tokens) assert.deepEqual(pieces[token.id], engine.tokenPiece(token.id));
    }
    // A token that spells U+FFFD itself (EF BF BD) holds a whole character: no bytes.
    const spelled = engine.tokenize('\uFFFD');
    assert.equal(spelled.length, 1);
    const [replacement] = spelled;
    assert.deepEqual(engine.tokenPiece(replacement.id), { id: replacement.id, text: '\uFFFD' });
  });

  test('a text read after another runs only from where they part, and reads as if read afresh', async () => {
    const reader = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
    try {
      const base = engine.tokenize(TEXT);
      const typed = engine.tokenize(`${TEXT} The keeper`);
      const edited = engine.tokenize(TEXT.replace('Every', 'Each'));
      // Read afresh by another engine, after a text that shares nothing with it.
      const fresh = async (tokens: typeof base) => {
        await engine.readTokens(engine.tokenize('Unrelated.'), 5);
        const reading = await engine.readTokens(tokens, 5);
        assert.equal(engine.lastTokensReused, 0);
        return reading;
      };
      await reader.readTokens(base, 5);
      const continued = await reader.readTokens(typed, 5);
      // The last shared position runs again: its next token is new.
      assert.equal(reader.lastTokensReused, base.length - 1);
      const expected = await fresh(typed);
      assertClose(continued.next.prob.data, expected.next.prob.data, 'next.prob');
      assert.deepEqual(continued.next.rank.data, expected.next.rank.data);
      assert.deepEqual(continued.top.ids.data, expected.top.ids.data);
      assertClose(continued.entropy.data, expected.entropy.data, 'entropy');
      await reader.readTokens(edited, 5);
      assert.equal(reader.lastTokensReused, 0, 'a text that departs at its first token runs whole');
      await reader.readTokens(base, 3);
      assert.equal(reader.lastTokensReused, 0, 'another top-k is another reading');
    } finally {
      await reader.dispose();
    }
  });

  test('an inspection long enough hands its tokens to onTokens first, with the numbers its last lens point reports', async () => {
    const tokens = engine.tokenize(TEXT.repeat(2));
    const n = tokens.length;
    const events: string[] = [];
    let first: TokenReading | undefined;
    const inspection = await engine.inspectTokens(tokens, {
      topK: 5,
      reusePrefix: false,
      onTokens: (reading, timing) => {
        events.push('tokens');
        first = reading;
        assert.ok(timing.seconds > 0 && timing.secondsLeft > 0, 'timing and an estimate of the rest');
      },
    });
    events.push('inspection');
    assert.deepEqual(events, ['tokens', 'inspection']);
    assert.ok(first);
    const last = inspection.lens.hooks.length - 1;
    assertClose(first.next.prob.data, inspection.next.prob.data, 'next.prob');
    assert.deepEqual(first.next.rank.data, inspection.next.rank.data, 'next.rank');
    assertClose(first.top.probs.data, inspection.lens.topProbs.data.subarray(last * n * 5, (last + 1) * n * 5), 'top probabilities');
    assertClose(first.entropy.data, inspection.lens.entropy.data.subarray(last * n, (last + 1) * n), 'entropy');
  });

  test('an inspection that continues the last one paints all its tokens: the kept ones from the last, the new from its forward', async () => {
    const base = engine.tokenize(TEXT.repeat(2));
    await engine.inspectTokens(base, { topK: 5 });
    const longer = engine.tokenize(TEXT.repeat(4));
    const n = longer.length;
    let first: TokenReading | undefined;
    const inspection = await engine.inspectTokens(longer, { topK: 5, onTokens: (reading) => (first = reading) });
    assert.ok(engine.lastReusedTokens > 0, 'the inspection continued the last one');
    assert.ok(first, 'the new positions are enough to paint first');
    assert.equal(first.tokens.length, n);
    const last = inspection.lens.hooks.length - 1;
    assertClose(first.next.prob.data, inspection.next.prob.data, 'next.prob');
    assert.deepEqual(first.top.ids.data, inspection.lens.topIds.data.subarray(last * n * 5, (last + 1) * n * 5), 'top ids');
    assertClose(first.entropy.data, inspection.lens.entropy.data.subarray(last * n, (last + 1) * n), 'entropy');
  });

  test('a short text, or one that continues the last inspection, is not read twice', async () => {
    let calls = 0;
    const onTokens = () => calls++;
    await engine.inspectTokens(engine.tokenize('A short line.'), { topK: 5, onTokens });
    const long = engine.tokenize(TEXT.repeat(2));
    await engine.inspectTokens(long, { topK: 5, reusePrefix: false });
    await engine.inspectTokens(engine.tokenize(`${TEXT.repeat(2)} And then?`), { topK: 5, onTokens });
    assert.equal(calls, 0);
  });
});
