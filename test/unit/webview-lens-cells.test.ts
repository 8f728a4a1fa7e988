import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inspection } from '../../protocol/inspection';
import { changeScale, colourOf, probabilityScale } from '../../webview/colour-scale';
import { lensGrid, type TargetToken } from '../../webview/lens-cells';
import { lensBaseline } from '../../webview/lens-change';
import { fixtureAttention, piecesOf } from './webview-fixture';

// Two residual points × three positions, top-2 at each. Tokens "a", " b", "\n"; id 4 is " c".
function tinyInspection(): Inspection {
  const f32 = (dims: number[], values: number[]) => ({ dims, data: new Float32Array(values) });
  return {
    model: { name: 'tiny', nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 8, vocabSize: 5 },
    backend: 'cpu',
    tokens: [
      { id: 1, text: 'a', start: 0, end: 1 },
      { id: 2, text: ' b', start: 1, end: 3 },
      { id: 3, text: '\n', start: 3, end: 4 },
    ],
    pieces: piecesOf([{ id: 1, text: 'a' }, { id: 2, text: ' b' }, { id: 3, text: '\n' }, { id: 4, text: ' c' }]),
    next: { prob: f32([3], [0.9, 0.6, Number.NaN]), rank: { dims: [3], data: new Int32Array([0, 0, -1]) } },
    lens: {
      hooks: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post'],
      // [point, position, k]
      topIds: { dims: [2, 3, 2], data: new Int32Array([1, 4, 4, 2, 3, 1, /* final */ 2, 4, 3, 2, 4, 1]) },
      topProbs: f32([2, 3, 2], [0.2, 0.1, 0.3, 0.2, 0.5, 0.1, /* final */ 0.9, 0.05, 0.6, 0.3, 0.4, 0.2]),
      entropy: f32([2, 3], [3, 2, 1, 0.5, 1, 2]),
      kl: f32([2, 3], [4, 5, 6, 0, 0, 0]),
      target: null,
    },
    attention: fixtureAttention([f32([1, 6], [1, 0.5, 0.5, 0.2, 0.3, 0.5])], 3),
  };
}

test('a cell shows the top-1 token with visible whitespace, coloured by its probability', () => {
  const grid = lensGrid(tinyInspection(), 'probability', null);
  assert.deepEqual([grid.points, grid.positions, grid.k], [2, 3, 2]);
  const cell = grid.cell(1, 0);
  assert.equal(cell.text, '·b');
  assert.equal(cell.topProb, Math.fround(0.9));
  assert.equal(cell.value, Math.fround(0.9));
  assert.deepEqual(cell.background, colourOf(probabilityScale(), Math.fround(0.9)));
  assert.equal(cell.foreground, '#000000', 'dark text on the bright end of viridis');
  assert.equal(grid.cell(1, 1).text, '⏎');
});

test('a cell knows when its top-1 is the token that actually comes next', () => {
  const grid = lensGrid(tinyInspection(), 'probability', null);
  assert.equal(grid.cell(1, 0).isNextToken, true, 'predicts " b", which follows "a"');
  assert.equal(grid.cell(1, 1).isNextToken, true, 'predicts "\\n", which follows " b"');
  assert.equal(grid.cell(0, 0).isNextToken, false, 'the embedding echoes "a"');
  assert.equal(grid.cell(0, 2).isNextToken, false, 'nothing follows the last token');
});

test('entropy and KL modes colour by those numbers', () => {
  const entropy = lensGrid(tinyInspection(), 'entropy', null);
  assert.equal(entropy.cell(0, 0).value, 3);
  assert.equal(entropy.scale.position(Math.log(5)), 1, 'the scale ends at ln(vocabulary size)');
  const kl = lensGrid(tinyInspection(), 'kl', null);
  assert.equal(kl.cell(0, 2).value, 6);
  assert.equal(kl.cell(1, 2).value, 0, 'the last point is the output itself');
});

test('target mode without exact values uses the top-k, and leaves cells outside it uncoloured', () => {
  const target: TargetToken = { id: 4, text: ' c', exact: null };
  const grid = lensGrid(tinyInspection(), 'target-probability', target);
  assert.deepEqual(grid.cell(0, 0).target, { prob: Math.fround(0.1), rank: 1 });
  assert.equal(grid.cell(0, 0).value, Math.fround(0.1));
  assert.equal(grid.cell(0, 0).text, 'a', 'the cell still shows its top-1');
  const outside = grid.cell(1, 1);
  assert.deepEqual(outside.target, { prob: null, rank: null });
  assert.ok(Number.isNaN(outside.value));
  assert.equal(outside.background, null);
  assert.match(grid.label(1, 1), /target ·c not in the top 2/);
  assert.equal(lensGrid(tinyInspection(), 'target-rank', target).cell(1, 2).value, 0, '" c" is top-1 there');
});

test('exact target values from the host replace the top-k guess everywhere', () => {
  const exact = {
    id: 4,
    prob: { dims: [2, 3], data: new Float32Array([0.1, 0.3, 0.01, 0.05, 0.001, 0.4]) },
    rank: { dims: [2, 3], data: new Int32Array([1, 0, 7, 1, 12, 0]) },
  };
  const grid = lensGrid(tinyInspection(), 'target-rank', { id: 4, text: ' c', exact });
  assert.equal(grid.cell(1, 1).value, 12);
  assert.deepEqual(grid.cell(1, 1).target, { prob: Math.fround(0.001), rank: 12 });
  const mismatched = lensGrid(tinyInspection(), 'target-rank', { id: 2, text: ' b', exact });
  assert.equal(mismatched.cell(1, 1).value, 1, 'values for another id are ignored; " b" is second in the top-k');
});

test('a target mode with no target falls back to probability', () => {
  const grid = lensGrid(tinyInspection(), 'target-probability', null);
  assert.equal(grid.mode, 'probability');
  assert.equal(grid.cell(0, 1).value, Math.fround(0.3));
});

test('labels name the hook and the position, for tooltips and screen readers', () => {
  const grid = lensGrid(tinyInspection(), 'probability', null);
  assert.equal(
    grid.label(1, 0),
    'blocks.0.hook_resid_post, position 0 (a); top-1 ·b 90.0% (the actual next token); entropy 0.50 nats; KL 0.00 nats',
  );
  assert.deepEqual(
    grid.topK(0, 1).map((e) => e.text),
    [' c', ' b'],
  );
});

// The same tiny inspection as another run would read it: the output gave " b" after "a" half the probability
// (0.45, not 0.9), and the first residual point gave " c" at position 0 a quarter (0.025, not 0.1).
function tinyBaseline(): Inspection {
  const shown = tinyInspection();
  const topProbs = Float32Array.from(shown.lens.topProbs.data);
  topProbs[1] = 0.025; // point 0, position 0, second guess (" c")
  topProbs[6] = 0.45; // output, position 0, top guess (" b")
  return {
    ...shown,
    next: { ...shown.next, prob: { dims: [3], data: new Float32Array([0.45, 0.6, Number.NaN]) } },
    lens: { ...shown.lens, topProbs: { ...shown.lens.topProbs, data: topProbs } },
  };
}

test('change mode: log₂ of the next token’s lens probability over the baseline’s, exact at the output', () => {
  const grid = lensGrid(tinyInspection(), 'change', null, { inspection: tinyBaseline(), name: 'unablated' });
  assert.equal(grid.mode, 'change');
  assert.match(grid.scale.title, /the next token, log₂\(p shown ÷ p unablated\)/);
  const output = grid.cell(1, 0);
  assert.deepEqual(output.change, { id: 2, shown: Math.fround(0.9), baseline: Math.fround(0.45), bits: 1 });
  assert.equal(output.value, 1, 'twice as likely: one bit');
  assert.deepEqual(output.background, colourOf(changeScale(grid.scale.title), 1));
  assert.equal(grid.cell(1, 1).value, 0, '"\\n" after " b" is as likely in both runs');
  assert.equal(grid.label(1, 0).split('; ').at(-1), '“·b” 90.0% shown, 45.0% unablated: +1.0 bits');
});

test('change mode leaves a cell unknown where the token is outside a run’s top-k, and follows nothing after the last token', () => {
  const grid = lensGrid(tinyInspection(), 'change', null, { inspection: tinyBaseline(), name: 'pinned' });
  const outside = grid.cell(0, 0);
  assert.deepEqual(outside.change, { id: 2, shown: null, baseline: null, bits: Number.NaN }, '" b" is not in the first point’s top-2 at position 0');
  assert.equal(outside.background, null);
  assert.match(grid.label(0, 0), /“·b” not in the top 2 shown, not in the top 2 pinned: change unknown$/);
  assert.equal(grid.cell(1, 2).change, null, 'no token follows the last');
});

test('change mode follows the target when one is set, exact where a run carries its values', () => {
  const target: TargetToken = { id: 4, text: ' c', exact: null };
  const grid = lensGrid(tinyInspection(), 'change', target, { inspection: tinyBaseline(), name: 'unablated' });
  assert.match(grid.scale.title, /target "·c"/);
  assert.equal(grid.cell(0, 0).value, 2, '0.1 against 0.025: two bits');
  assert.ok(Number.isNaN(grid.cell(0, 2).value), '" c" is outside the top-2 there and no run has exact values');
  const exact = { id: 4, prob: { dims: [2, 3], data: new Float32Array([0.1, 0.3, 0.01, 0.05, 0.001, 0.4]) }, rank: { dims: [2, 3], data: new Int32Array(6) } };
  const baseline = tinyBaseline();
  const both = lensGrid(tinyInspection(), 'change', { ...target, exact }, { inspection: { ...baseline, lens: { ...baseline.lens, target: { ...exact, prob: { dims: [2, 3], data: new Float32Array([0.1, 0.3, 0.04, 0.05, 0.001, 0.4]) } } } }, name: 'unablated' });
  assert.equal(both.cell(0, 2).value, Math.log2(Math.fround(0.01) / Math.fround(0.04)), 'exact in both runs');
});

test('change mode without a baseline falls back to probability', () => {
  assert.equal(lensGrid(tinyInspection(), 'change', null).mode, 'probability');
});

test('the baseline: the unablated run when units are ablated, else a pinned text of as many tokens', () => {
  const shown = tinyInspection();
  const source = { uri: 'file:///a.md', windowed: null, randomWeights: false };
  const pinned = { uri: 'file:///b.md', inspection: tinyBaseline() };
  const ablated = { setting: { ablations: [{ hook: 'attn.hook_z' as const, layer: 0, unit: 0 }], mode: 'zero' as const }, baseline: tinyBaseline() };
  assert.equal(lensBaseline({ inspection: shown, source }), null);
  assert.deepEqual(lensBaseline({ inspection: shown, source, pinned }), { inspection: pinned.inspection, name: 'pinned' });
  assert.deepEqual(lensBaseline({ inspection: shown, source, pinned, ablated }), { inspection: ablated.baseline, name: 'unablated' }, 'the ablation first');
  const longer = { ...pinned, inspection: { ...pinned.inspection, tokens: [...shown.tokens, { id: 4, text: ' c', start: 4, end: 6 }] } };
  assert.equal(lensBaseline({ inspection: shown, source, pinned: longer }), null, 'positions must match one to one');
});

test('a token holding part of a character is labelled by its bytes: in its cells, their labels and the scale', () => {
  const tiny = tinyInspection();
  // Id 4 is now 447, GPT-2's E2 80: the first two bytes of "’"; it is the top-1 of point 0 at position 1.
  const apostrophe = { id: 4, text: '\ufffd', bytes: [0xe2, 0x80] };
  const split: Inspection = { ...tiny, tokens: [tiny.tokens[0], { ...apostrophe, start: 1, end: 2 }, tiny.tokens[2]], pieces: { ...tiny.pieces, 4: apostrophe } };
  const grid = lensGrid(split, 'change', { ...apostrophe, exact: null }, { inspection: tinyBaseline(), name: 'unablated' });
  assert.equal(grid.cell(0, 1).text, '⟨0xE2⟩⟨0x80⟩');
  assert.match(grid.label(0, 2), /^blocks\.0\.hook_resid_pre, position 2 \(⏎\)/);
  assert.match(grid.label(0, 1), /position 1 \(⟨0xE2⟩⟨0x80⟩\); top-1 ⟨0xE2⟩⟨0x80⟩ 30\.0%.*; target ⟨0xE2⟩⟨0x80⟩ 30\.0%, rank #1; “⟨0xE2⟩⟨0x80⟩” 30\.0% shown/);
  assert.match(grid.scale.title, /target "⟨0xE2⟩⟨0x80⟩"/);
  assert.ok(!grid.label(0, 1).includes('\ufffd'));
});
