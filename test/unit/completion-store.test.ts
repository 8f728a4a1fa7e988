import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompletionStore, reusableSuggestion, type LastCompletion } from '../../extension/completion-store';

const last: LastCompletion = {
  documentUri: 'file:///story.txt',
  offset: 9,
  prefix: 'The quick',
  prompt: 'The quick',
  promptTokens: [],
  tokens: [
    { id: 7586, text: ' brown' },
    { id: 21831, text: ' fox' },
  ],
  text: ' brown fox',
  suggestion: ' brown fox',
};
const at = (prefix: string, documentUri = last.documentUri) => ({ documentUri, offset: prefix.length, prefix });

test('asked again at the same place, the whole suggestion comes back', () => {
  assert.equal(reusableSuggestion(last, at('The quick')), ' brown fox');
});

test('typing what the ghost text shows leaves the rest of it', () => {
  assert.equal(reusableSuggestion(last, at('The quick br')), 'own fox');
  assert.equal(reusableSuggestion(last, at('The quick brown fo')), 'x');
});

test('typing something else needs a new run', () => {
  assert.equal(reusableSuggestion(last, at('The quick bl')), undefined);
});

test('typing all of it leaves nothing to suggest, so a new run', () => {
  assert.equal(reusableSuggestion(last, at('The quick brown fox')), undefined);
});

test('another document never reuses it', () => {
  assert.equal(reusableSuggestion(last, at('The quick', 'file:///other.txt')), undefined);
});

test('backspace within the typed-ahead part reuses it; past the original prefix it does not', () => {
  assert.equal(reusableSuggestion(last, at('The quick b')), 'rown fox');
  assert.equal(reusableSuggestion(last, at('The quic')), undefined);
});

test('an edit before the cursor that keeps its offset is noticed', () => {
  assert.equal(reusableSuggestion(last, at('Thy quick')), undefined);
});

test('windows of a long document are compared where they overlap', () => {
  const document = `${'x'.repeat(20)}The quick`;
  const windowed = { ...last, offset: document.length, prefix: document.slice(-12) }; // 'xxxThe quick'
  const typed = `${document} b`;
  assert.equal(reusableSuggestion(windowed, { documentUri: last.documentUri, offset: typed.length, prefix: typed.slice(-12) }), 'rown fox');
});

test('nothing stored, nothing reused', () => {
  assert.equal(reusableSuggestion(null, at('The quick')), undefined);
});

test('the store tells its listeners about a new completion until they stop listening', () => {
  const store = new CompletionStore();
  const seen: (string | null)[] = [];
  const listening = store.onDidChange((completion) => seen.push(completion?.suggestion ?? null));
  store.set(last);
  assert.equal(store.last, last);
  listening.dispose();
  store.set(null);
  assert.deepEqual(seen, [' brown fox']);
  assert.equal(store.last, null);
});
