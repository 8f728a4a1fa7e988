// The hover's facts about the token under the mouse, read from an inspection, and the words it shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inspection, TokenReading } from '../../protocol/inspection';
import { factsMarkdown, tokenAt } from '../../extension/token-at';
import { fixtureAttention, piecesOf } from './webview-fixture';

// Three tokens "The· cat· sat" inspected from document offset 100; top-2 guesses at the final point.
function inspection(): Inspection {
  const n = 3;
  const k = 2;
  const points = 2;
  const topIds = new Int32Array(points * n * k);
  const topProbs = new Float32Array(points * n * k);
  // final point (1): after "The" expects " cat" 0.5, " dog" 0.2; after " cat" expects " sat" 0.25, " ran" 0.6 (sorted)
  topIds.set([3797, 3290, 4966, 3332, 13, 11], n * k);
  topProbs.set([0.5, 0.2, 0.6, 0.25, 0.3, 0.1], n * k);
  return {
    model: { name: 'm', nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 8, vocabSize: 50257 },
    backend: 'cpu',
    tokens: [
      { id: 464, text: 'The', start: 0, end: 3 },
      { id: 3797, text: ' cat', start: 3, end: 7 },
      { id: 3332, text: ' sat', start: 7, end: 11 },
    ],
    pieces: piecesOf([
      { id: 464, text: 'The' }, { id: 3797, text: ' cat' }, { id: 3290, text: ' dog' }, { id: 3332, text: ' sat' },
      { id: 4966, text: ' ran' }, { id: 13, text: '.' }, { id: 11, text: ',' },
    ]),
    next: { prob: { dims: [n], data: Float32Array.from([0.5, 0.25, Number.NaN]) }, rank: { dims: [n], data: Int32Array.from([0, 1, -1]) } },
    lens: {
      hooks: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post'],
      topIds: { dims: [points, n, k], data: topIds },
      topProbs: { dims: [points, n, k], data: topProbs },
      entropy: { dims: [points, n], data: new Float32Array(points * n) },
      kl: { dims: [points, n], data: new Float32Array(points * n) },
      target: null,
    },
    attention: fixtureAttention([{ dims: [1, (n * (n + 1)) / 2], data: new Float32Array((n * (n + 1)) / 2) }], n),
  };
}

test('a token is judged by the prediction made at the position before it', () => {
  const facts = tokenAt(inspection(), 100, 109)!; // inside " sat"
  assert.equal(facts.text, ' sat');
  assert.equal(facts.index, 2);
  assert.deepEqual([facts.start, facts.end], [107, 111]);
  assert.equal(facts.prob, 0.25);
  assert.equal(facts.surprisal, 2); // -log2(0.25)
  assert.equal(facts.rank, 1);
  assert.deepEqual(facts.guesses.map((g) => g.text), [' ran', ' sat']);
});

test('the first token has no prediction', () => {
  const facts = tokenAt(inspection(), 100, 100)!;
  assert.equal(facts.text, 'The');
  assert.equal(facts.prob, null);
  assert.deepEqual(facts.guesses, []);
});

test('offsets outside the inspected text have no token', () => {
  assert.equal(tokenAt(inspection(), 100, 99), null);
  assert.equal(tokenAt(inspection(), 100, 111), null);
});

test('tinted text is judged from the token reading its tint came from, with the same facts as an inspection', () => {
  const full = inspection();
  const [, n, k] = full.lens.topIds.dims;
  const reading: TokenReading = {
    model: full.model,
    backend: full.backend,
    tokens: full.tokens,
    pieces: full.pieces,
    next: full.next,
    top: { ids: { dims: [n, k], data: full.lens.topIds.data.slice(n * k) }, probs: { dims: [n, k], data: full.lens.topProbs.data.slice(n * k) } },
    entropy: { dims: [n], data: new Float32Array(n) },
  };
  assert.deepEqual(tokenAt(reading, 100, 109), tokenAt(full, 100, 109));
  assert.deepEqual(tokenAt(reading, 100, 104)?.guesses.map((g) => g.text), [' cat', ' dog']);
});

test('the hover shows the token and the guesses as the panel labels them', () => {
  const facts = tokenAt(inspection(), 100, 109)!;
  const text = factsMarkdown(facts, 3);
  assert.match(text, /^\*\*Glassbox\*\* · token 3 of 3\n\n`·sat` · id 3332\n\n/);
  assert.match(text, /probability \*\*25\.0%\*\*/);
  assert.match(text, /1\. `·ran` 60\.0%  \n2\. `·sat` 25\.0%/);
});

test('a token holding part of a character shows in the hover by its bytes, not as "�"', () => {
  // "The cat’" where "’" (E2 80 99) is split: the text ends inside the character, on 447 (E2 80).
  const base = inspection();
  const apostrophe = { id: 447, text: '\ufffd', bytes: [0xe2, 0x80] };
  const rest = { id: 247, text: '\ufffd', bytes: [0x99] };
  const [points, n, k] = base.lens.topIds.dims;
  const topIds = Int32Array.from(base.lens.topIds.data);
  topIds[((points - 1) * n + 1) * k] = apostrophe.id; // after " cat": 447 is the top guess
  topIds[((points - 1) * n + 2) * k] = rest.id; // after it: 247, the rest of the character
  const split: Inspection = {
    ...base,
    tokens: [...base.tokens.slice(0, 2), { ...apostrophe, start: 7, end: 8 }],
    pieces: { ...base.pieces, ...piecesOf([apostrophe, rest]) },
    lens: { ...base.lens, topIds: { ...base.lens.topIds, data: topIds } },
  };
  const facts = tokenAt(split, 100, 107)!;
  assert.deepEqual(facts.bytes, [0xe2, 0x80]);
  const text = factsMarkdown(facts, 3);
  assert.match(text, /`⟨0xE2⟩⟨0x80⟩` · id 447/);
  assert.match(text, /1\. `⟨0xE2⟩⟨0x80⟩` 60\.0%/);
  assert.ok(!text.includes('\ufffd'), text);
});
