// What "Explain this completion" inspects for a completion, and where it finds the completion in the document.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LastCompletion } from '../../extension/completion-store';
import { acceptedRange, commonPrefixLength, explainCompletion, promptOffset } from '../../extension/explain-completion';

// A document "Notes\nThe quick" with the cursor at its end (offset 15); the model read "The quick" and wrote
// " brown fox.\n" and more, of which the ghost text showed the rest of the line.
const last: LastCompletion = {
  documentUri: 'file:///notes.txt',
  offset: 15,
  prefix: 'Notes\nThe quick',
  prompt: 'The quick',
  promptTokens: [
    { id: 464, text: 'The', start: 0, end: 3 },
    { id: 2068, text: ' quick', start: 3, end: 9 },
  ],
  tokens: [
    { id: 7586, text: ' brown' },
    { id: 21831, text: ' fox' },
    { id: 13, text: '.' },
    { id: 198, text: '\n' },
    { id: 464, text: 'The' },
  ],
  text: ' brown fox.\nThe',
  suggestion: ' brown fox.',
};

test('the prompt and the generated tokens of the suggestion, as exact ids; what was cut off is left out', () => {
  assert.deepEqual(explainCompletion(last), {
    text: 'The quick brown fox.',
    ids: [464, 2068, 7586, 21831, 13],
    generatedFrom: 2,
    documentOffset: 6,
  });
});

test('after a healed trailing space the prompt ends one character before the cursor', () => {
  // The user typed "The quick "; the model read "The quick" and wrote " brown", shown as "brown".
  const healed: LastCompletion = { ...last, offset: 16, prefix: 'Notes\nThe quick ', tokens: last.tokens.slice(0, 2), text: ' brown fox', suggestion: 'brown fox' };
  assert.equal(promptOffset(healed), 6);
  const explanation = explainCompletion(healed);
  assert.equal(explanation?.text, 'The quick brown fox');
  // In the document the suggestion follows the space the user typed: the same text as the inspection's.
  assert.equal('Notes\nThe quick brown fox'.slice(explanation?.documentOffset), explanation?.text);
});

test('on an empty line the blank lines the model wrote first are part of the explanation', () => {
  const lines: LastCompletion = {
    ...last,
    offset: 16,
    prefix: 'Notes\nThe quick\n',
    prompt: 'Notes\nThe quick\n',
    promptTokens: [],
    tokens: [{ id: 198, text: '\n' }, { id: 464, text: 'The' }, { id: 2068, text: ' quick' }, { id: 198, text: '\n' }],
    text: '\nThe quick\n',
    suggestion: 'The quick',
  };
  assert.deepEqual(explainCompletion(lines)?.ids, [198, 464, 2068]);
  assert.equal(explainCompletion(lines)?.documentOffset, 0);
});

test('a token holding part of a character ends what can be explained', () => {
  // "é" split over two tokens reads as U+FFFD pieces; the suggestion stops before them, and so does this.
  const split: LastCompletion = { ...last, tokens: [{ id: 7586, text: ' brown' }, { id: 220, text: ' \uFFFD' }, { id: 102, text: '\uFFFD' }], text: ' brown \uFFFD\uFFFD', suggestion: ' brown' };
  assert.deepEqual(explainCompletion(split)?.ids, [464, 2068, 7586]);
  assert.equal(explainCompletion({ ...split, tokens: split.tokens.slice(1) }), null);
});

test('an accepted completion is found where it was asked for, after the text that led to it', () => {
  const document = 'Notes\nThe quick brown fox.\nMore';
  const read = (start: number, end: number) => document.slice(start, end);
  assert.deepEqual(acceptedRange(last, read), { start: 15, end: 26 });
  const notAccepted = 'Notes\nThe quick\nMore';
  assert.equal(acceptedRange(last, (start, end) => notAccepted.slice(start, end)), null);
  const editedBefore = 'Notes\nThe quiet brown fox.';
  assert.equal(acceptedRange(last, (start, end) => editedBefore.slice(start, end)), null);
});

test('the common prefix of two texts never ends inside a character', () => {
  assert.equal(commonPrefixLength('The quick brown', 'The quick'), 9);
  assert.equal(commonPrefixLength('abc', 'xbc'), 0);
  assert.equal(commonPrefixLength('a😀', 'a😁'), 1);
});
