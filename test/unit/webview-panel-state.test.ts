import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenIndexAt } from '../../protocol/token-index';
import { fileStem } from '../../webview/figure-export';
import { defaultViewState, fitStateTo } from '../../webview/panel-state';
import { fixtureInspection } from './webview-fixture';

test('a restored state is fitted to the inspection now shown', () => {
  const inspection = fixtureInspection(); // 23 tokens, 2 layers × 4 heads, top-10
  const restored = {
    ...defaultViewState,
    selectedToken: 40,
    sampling: { temperature: 0.7, topK: 50, topP: 0.9 },
    attentionHead: { layer: 11, head: 3 },
  };
  const fitted = fitStateTo(restored, inspection);
  assert.equal(fitted.selectedToken, null, 'no token 40 in a 23-token text');
  assert.deepEqual(fitted.sampling, { temperature: 0.7, topK: 10, topP: 0.9 }, 'top-k cannot exceed the k carried');
  assert.deepEqual(fitted.attentionHead, { layer: 0, head: 0 }, 'no layer 11 in a 2-layer model');
  assert.equal(fitStateTo({ ...defaultViewState, selectedToken: 23 }, inspection).selectedToken, 23, 'the "next?" chip');
  assert.deepEqual(fitStateTo({ ...defaultViewState, attentionHead: { layer: 1, head: null } }, inspection).attentionHead, { layer: 1, head: null });
});

test('the editor cursor maps to the token whose range holds it', () => {
  const { tokens } = fixtureInspection(); // "The" 0–3, " quick" 3–9, …, "It" 67–69, "’" 69–70 (two tokens), …, " day" 82–86
  assert.equal(tokenIndexAt(tokens, 0), 0);
  assert.equal(tokenIndexAt(tokens, 3), 1, 'a token starts where the previous one ends');
  assert.equal(tokenIndexAt(tokens, 69), 17, 'a character split over two tokens is in the first');
  assert.equal(tokenIndexAt(tokens, 86), 22, 'just after the last character');
  assert.equal(tokenIndexAt(tokens, 87), null);
  assert.equal(tokenIndexAt(tokens, null), null);
});

test('export file names come from the inspected file, bare and safe', () => {
  assert.equal(fileStem('file:///home/me/notes/fox.md'), 'fox');
  assert.equal(fileStem('untitled:Untitled-1'), 'untitled-Untitled-1');
  assert.equal(fileStem('file:///tmp/my%20essay.final.txt'), 'my-essay.final');
  assert.equal(fileStem('file:///tmp/.env'), 'text');
});
