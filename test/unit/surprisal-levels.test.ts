// Surprisal Highlighting's levels and the text it reads, as examples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { levelOf, linesToRead, tokenLevels } from '../../extension/surprisal-levels';
import { fixtureShow } from './webview-fixture';

test('surprisal levels: < 2, 2–4, 4–6, 6–8, 8–12, ≥ 12 bits', () => {
  assert.deepEqual([0.5, 0.25, 0.05, 0.01, 0.001, 0.0001].map((p) => levelOf('surprisal', p, 0)), [0, 1, 2, 3, 4, 5]);
});

test('probability and rank levels', () => {
  assert.deepEqual([0.9, 0.3, 0.1, 0.02, 0.002, 0.0001].map((p) => levelOf('probability', p, 0)), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([0, 3, 10, 50, 500, 5000].map((r) => levelOf('rank', 0.5, r)), [0, 1, 2, 3, 4, 5]);
});

test('every token but the first gets the level of the probability the model gave it', () => {
  const { inspection } = fixtureShow({});
  const levels = tokenLevels(inspection, 'surprisal');
  assert.equal(levels.length, inspection.tokens.length - 1);
  levels.forEach((l, i) => {
    assert.equal(l.start, inspection.tokens[i + 1].start);
    assert.equal(l.prob, inspection.next.prob.data[i]);
    assert.equal(l.level, levelOf('surprisal', inspection.next.prob.data[i], 0));
  });
});

test('the visible lines plus a margin above, none below; the document start when the margin reaches it', () => {
  assert.deepEqual(linesToRead(100, 140, 2000, 30), { from: 70, to: 140 });
  assert.deepEqual(linesToRead(10, 40, 2000, 30), { from: 0, to: 40 });
  assert.deepEqual(linesToRead(1980, 1999, 2000, 30), { from: 1950, to: 1999 });
});
