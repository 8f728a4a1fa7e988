// What the ablation bar and the Tokens tab's "change" colouring say, against numbers worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inspection } from '../../protocol/inspection';
import { textChange, tokenChange } from '../../webview/ablation-change';
import { tokenValue } from '../../webview/token-colouring';
import { fixtureInspection } from './webview-fixture';

/** The fixture with its next-token probabilities and ranks replaced. */
function withNext(inspection: Inspection, prob: number[], rank: number[]): Inspection {
  const n = inspection.tokens.length;
  const pad = <T>(values: T[], last: T) => [...values, ...new Array<T>(n - values.length).fill(last)];
  return { ...inspection, next: { prob: { dims: [n], data: Float32Array.from(pad(prob, Number.NaN)) }, rank: { dims: [n], data: Int32Array.from(pad(rank, -1)) } } };
}

const base = fixtureInspection({ tokens: 4 });
const before = withNext(base, [0.5, 0.25, 0.125], [0, 1, 3]);
const after = withNext(base, [0.25, 0.5, 0.125], [1, 0, 3]);

test('a token’s change: its probability and rank before and after, and log₂ of their ratio', () => {
  assert.deepEqual(tokenChange(after, before, 1), { position: 1, before: { prob: 0.5, rank: 0 }, after: { prob: 0.25, rank: 1 }, bits: -1 });
  assert.equal(tokenChange(after, before, 2)?.bits, 1);
  assert.equal(tokenChange(after, before, 3)?.bits, 0);
  assert.equal(tokenChange(after, before, 0), null, 'nothing predicted the first token');
  assert.equal(tokenChange(after, before, 4), null, 'past the last token');
});

test('"change" colours token j by log₂(p ablated ÷ p unablated), and has no value without a baseline', () => {
  assert.equal(tokenValue(after.next, 1, 'change', before.next), -1);
  assert.equal(tokenValue(after.next, 2, 'change', before.next), 1);
  assert.ok(Number.isNaN(tokenValue(after.next, 0, 'change', before.next)));
  assert.ok(Number.isNaN(tokenValue(after.next, 1, 'change')));
});

test('the whole text: perplexities (the same probabilities reordered keep it), top guesses that moved', () => {
  const change = textChange(after, before);
  // exp(mean −ln p) over {0.5, 0.25, 0.125} either way: 2^(6/3) = 4.
  assert.ok(Math.abs(change.perplexity.before - 4) < 1e-6 && Math.abs(change.perplexity.after - 4) < 1e-6);
  assert.equal(change.positions, 4);
  assert.equal(change.topGuessChanged, 0, 'the lens is the same in both');
  assert.equal(change.nextGuess.before.id, change.nextGuess.after.id);

  // Swap the final point's top two guesses after the last token: one position's top guess moved, and the next guess.
  const [points, n, k] = after.lens.topIds.dims;
  const topIds = Int32Array.from(after.lens.topIds.data);
  const at = ((points - 1) * n + (n - 1)) * k;
  [topIds[at], topIds[at + 1]] = [topIds[at + 1], topIds[at]];
  const swapped = textChange({ ...after, lens: { ...after.lens, topIds: { ...after.lens.topIds, data: topIds } } }, before);
  assert.equal(swapped.topGuessChanged, 1);
  assert.equal(swapped.nextGuess.before.id, before.lens.topIds.data[at]);
  assert.equal(swapped.nextGuess.after.id, before.lens.topIds.data[at + 1]);
});
