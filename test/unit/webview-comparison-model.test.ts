import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompletionComparison } from '../../protocol/comparison-messages';
import type { Continuation } from '../../protocol/model-messages';
import { comparisonView, firstDivergence } from '../../webview/compare-completions/comparison-model';

const ids = (...xs: number[]) => xs.map((id) => ({ id }));

test('the first divergence is where the two chose different tokens, or where one ended', () => {
  assert.equal(firstDivergence(ids(1, 2, 3), ids(1, 2, 3)), null);
  assert.equal(firstDivergence(ids(1, 2, 3), ids(1, 9, 3)), 1);
  assert.equal(firstDivergence(ids(4), ids(5)), 0);
  assert.equal(firstDivergence(ids(1, 2), ids(1, 2, 50256)), 2);
  assert.equal(firstDivergence([], []), null);
});

function continuation(tokens: [number, string, number][]): Continuation {
  return { tokens: tokens.map(([id, text, prob]) => ({ id, text, prob })), text: tokens.map((t) => t[1]).join(''), stop: 'max-tokens' };
}

const comparison: CompletionComparison = {
  model: 'gpt2',
  randomWeights: false,
  steering: { add: 'Love', subtract: 'Hate', layer: 6, scale: 4 },
  contextTail: 'I think you are',
  sampling: { temperature: 0, topK: 40, topP: 0.95, seed: null },
  unsteered: continuation([[257, ' a', 0.5], [1049, ' great', 0.25], [1048, ' person', 0.75]]),
  steered: continuation([[257, ' a', 0.625], [4950, ' beautiful', 0.125], [198, '\n', 0.5]]),
};

test('the view marks the tokens from the divergence on, the first of them apart, and shows whitespace', () => {
  const view = comparisonView(comparison);
  assert.equal(view.divergence, 1);
  assert.equal(view.divergenceText, 'The same for the first 1 token; they diverge at token 2.');
  const [unsteered, steered] = view.sides;
  assert.deepEqual(steered.chips.map((c) => c.label), ['·a', '·beautiful', '⏎']);
  assert.deepEqual(steered.chips.map((c) => [c.diverged, c.firstDiverged]), [[false, false], [true, true], [true, false]]);
  assert.deepEqual(steered.chips.map((c) => c.endsLine), [false, false, true]);
  assert.equal(unsteered.meanProb, 0.5);
  assert.match(steered.chips[1].title, /^“·beautiful” \(id 4950\): 12\.5%, the probability the steered model gave it here\nThe first token that differs/);
  assert.match(unsteered.chips[0].title, /the model as it is/);
  assert.equal(unsteered.ending, '3 tokens, as many as a completion may have');
});

test('the view says how both were made: the steering and greedy or seeded sampling', () => {
  const view = comparisonView(comparison);
  assert.equal(view.steeringText, 'Steered +"Love" −"Hate" @L6 ×4: activation addition at blocks.6.hook_resid_pre while the context runs.');
  assert.match(view.samplingText, /^Greedy: the likeliest token at every step/);
  const sampled = comparisonView({ ...comparison, sampling: { temperature: 0.8, topK: 40, topP: 0.95, seed: 0 } });
  assert.match(sampled.samplingText, /temperature 0\.8, top-k 40, top-p 0\.95\), both runs with seed 0/);
});

test('the same continuation twice: nothing diverges, and the view says the steering changed nothing', () => {
  const view = comparisonView({ ...comparison, steered: comparison.unsteered });
  assert.equal(view.divergence, null);
  assert.ok(view.sides.every((s) => s.chips.every((c) => !c.diverged)));
  assert.equal(view.divergenceText, 'The steering changed nothing here: both continuations are the same 3 tokens.');
});

test('a generated token holding part of a character shows its bytes, in the chip and its title', () => {
  const apostrophe: Continuation = {
    tokens: [{ id: 447, text: '\ufffd', bytes: [0xe2, 0x80], prob: 0.25 }, { id: 247, text: '\ufffd', bytes: [0x99], prob: 0.875 }],
    text: '’',
    stop: 'max-tokens',
  };
  const [, steered] = comparisonView({ ...comparison, steered: apostrophe }).sides;
  assert.deepEqual(steered.chips.map((c) => c.label), ['⟨0xE2⟩⟨0x80⟩', '⟨0x99⟩']);
  assert.match(steered.chips[0].title, /^“⟨0xE2⟩⟨0x80⟩” \(id 447\)/);
});
