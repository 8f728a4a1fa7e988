// Accepting ghost text shows the next suggestion at once; the accepted completion must still be the one
// "Explain Last Completion" and the hover's link explain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompletionStore, type LastCompletion } from '../../extension/completion-store';
import { CompletionHistory, type DocumentReader } from '../../extension/explain-history';

const uri = 'file:///story.txt';
const accepted: LastCompletion = {
  documentUri: uri,
  offset: 9,
  prefix: 'The quick',
  prompt: 'The quick',
  promptTokens: [],
  tokens: [{ id: 7586, text: ' brown' }, { id: 21831, text: ' fox' }],
  text: ' brown fox',
  suggestion: ' brown fox',
};
// Shown right after the accept, at the new end of the line, and not accepted.
const next: LastCompletion = { ...accepted, offset: 19, prefix: 'The quick brown fox', prompt: 'The quick brown fox', tokens: [{ id: 18045, text: ' jumps' }], text: ' jumps', suggestion: ' jumps' };

function documents(texts: Record<string, string>): DocumentReader {
  return (documentUri) => {
    const text = texts[documentUri];
    return text === undefined ? null : (start, end) => text.slice(Math.max(0, start), end);
  };
}

test('the accepted completion is found though a newer suggestion was shown after it', () => {
  const store = new CompletionStore();
  const history = new CompletionHistory(store);
  store.set(accepted);
  store.set(next);
  const read = documents({ [uri]: 'The quick brown fox' });
  const found = history.accepted(read);
  assert.equal(found?.completion, accepted);
  assert.deepEqual(found?.range, { start: 9, end: 19 });
  // The hover asks about the text under the mouse; its link names the completion by id.
  assert.equal(history.accepted(read, { documentUri: uri, offset: 12 })?.id, found?.id);
  assert.equal(history.byId(found!.id), accepted);
  assert.equal(history.accepted(read, { documentUri: uri, offset: 3 }), null);
  history.dispose();
});

test('nothing is accepted while the text differs, or its document is closed', () => {
  const store = new CompletionStore();
  const history = new CompletionHistory(store);
  store.set(accepted);
  assert.equal(history.accepted(documents({ [uri]: 'The quick brown dog' })), null);
  assert.equal(history.accepted(documents({})), null);
  history.dispose();
  // Disposed, it no longer follows the store.
  store.set(next);
  assert.equal(history.byId(2), null);
});
