import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shapeSuggestion, suggestionPlace } from '../../extension/completion-suggestion';

test('suggest at the end of a line (one line) or on an empty line (a few lines), not before other text', () => {
  assert.deepEqual(suggestionPlace('The cat', ''), { mode: 'line', closing: '' });
  assert.deepEqual(suggestionPlace('The cat', '   '), { mode: 'line', closing: '' });
  assert.deepEqual(suggestionPlace('    ', ''), { mode: 'line', closing: '' });
  assert.deepEqual(suggestionPlace('', ''), { mode: 'lines', closing: '' });
  assert.equal(suggestionPlace('wor', 'd'), null);
  assert.equal(suggestionPlace('f(', ') + 1'), null);
});

test('before what the line already closes (auto-closed brackets and quotes, a semicolon) a line is suggested', () => {
  assert.deepEqual(suggestionPlace('print(', ')'), { mode: 'line', closing: ')' });
  assert.deepEqual(suggestionPlace('x = [', ' ];'), { mode: 'line', closing: '];' });
  assert.deepEqual(suggestionPlace('say("', '")'), { mode: 'line', closing: '")' });
  assert.deepEqual(suggestionPlace('', '}'), { mode: 'line', closing: '}' });
});

const line = { mode: 'line', closing: '', healed: false } as const;
const lines = { mode: 'lines', closing: '', healed: false } as const;
const before = (closing: string) => ({ mode: 'line', closing, healed: false }) as const;

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
  const healed = { mode: 'line', closing: '', healed: true } as const;
  assert.equal(shapeSuggestion(' sat down', healed), 'sat down');
  assert.equal(shapeSuggestion('.', healed), '');
});

test('on an empty line leading blank lines go and several lines stay', () => {
  assert.equal(shapeSuggestion('\n\nfirst\n  second\n', lines), 'first\n  second');
  assert.equal(shapeSuggestion('  indented', lines), '  indented');
});

test('before closing characters the suggestion stops where it would close them again', () => {
  assert.equal(shapeSuggestion('a(b), c);', before(')')), 'a(b), c', 'its own brackets are its own');
  assert.equal(shapeSuggestion('1, [2, 3]]', before(']')), '1, [2, 3]');
  assert.equal(shapeSuggestion(' x + 1;', before(');')), ' x + 1', 'a statement end the line has');
  assert.equal(shapeSuggestion('x; y', before(')')), 'x; y', 'a semicolon the line does not have');
  assert.equal(shapeSuggestion('hello world", x)', before('")')), 'hello world', 'the string the cursor is in');
  assert.equal(shapeSuggestion(' don\'t', before(')')), ' don\'t', 'a quote the line does not close is text');
  assert.equal(shapeSuggestion('f("a)"), 1)', before('")')), 'f("a)"), 1', 'a string inside its own brackets');
  assert.equal(shapeSuggestion(')', before(')')), '');
});
