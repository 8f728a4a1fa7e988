import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shapeSuggestion, suggestionMode } from '../../extension/completion-suggestion';

test('suggest at the end of a line (one line) or on an empty line (a few lines), not before other text', () => {
  assert.equal(suggestionMode('The cat', ''), 'line');
  assert.equal(suggestionMode('The cat', '   '), 'line');
  assert.equal(suggestionMode('    ', ''), 'line');
  assert.equal(suggestionMode('', ''), 'lines');
  assert.equal(suggestionMode('print(', ')'), null);
  assert.equal(suggestionMode('wor', 'd'), null);
});

const line = { mode: 'line', healed: false } as const;
const lines = { mode: 'lines', healed: false } as const;

test('a line suggestion ends before the newline and loses trailing whitespace', () => {
  assert.equal(shapeSuggestion(' sat on the mat.\nThe', line), ' sat on the mat.');
  assert.equal(shapeSuggestion(' sat   ', line), ' sat');
  assert.equal(shapeSuggestion(' sat\r\n', line), ' sat');
});

test('nothing worth showing is the empty string', () => {
  assert.equal(shapeSuggestion('\nThe', line), '');
  assert.equal(shapeSuggestion('   ', line), '');
  assert.equal(shapeSuggestion('<|endoftext|>The', line), '');
});

test('end-of-text and characters split across tokens end the suggestion', () => {
  assert.equal(shapeSuggestion(' the end.<|endoftext|>Next', line), ' the end.');
  assert.equal(shapeSuggestion(' smile \uFFFD\uFFFD', line), ' smile');
});

test('after a healed space the continuation must start with one, which is not shown again', () => {
  const healed = { mode: 'line', healed: true } as const;
  assert.equal(shapeSuggestion(' sat down', healed), 'sat down');
  assert.equal(shapeSuggestion('.', healed), '');
});

test('on an empty line leading blank lines go and several lines stay', () => {
  assert.equal(shapeSuggestion('\n\nfirst\n  second\n', lines), 'first\n  second');
  assert.equal(shapeSuggestion('  indented', lines), '  indented');
});
