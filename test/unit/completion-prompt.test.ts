import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CharsPerToken, cutPrompt, healTrailingSpace, planPrompt } from '../../extension/completion-prompt';

const gpt2 = { nCtx: 1024, maxTokens: 16, contextTokens: 256, charsPerToken: 4, wholeDocument: true };

test('a short document is the prompt as it is', () => {
  assert.deepEqual(planPrompt('Hello world', gpt2), { maxNewTokens: 16, prompt: 'Hello world', healed: false });
});

test('a cut moves forward to the next line start within the first quarter of what is kept', () => {
  // 28 characters; the last 20 begin "ne\nsecond…", the line start is 3 further on.
  assert.equal(cutPrompt('first line\nsecond line\nthird', 20), 'second line\nthird');
});

test('without a line start nearby, the cut moves to a word start', () => {
  // The last 13 characters begin "a gamma…": mid-word.
  assert.equal(cutPrompt('alpha beta gamma delta', 13), 'gamma delta');
});

test('without any boundary nearby the cut stays where the budget puts it, but never inside a surrogate pair', () => {
  assert.equal(cutPrompt('abcdefghij', 4), 'ghij');
  assert.equal(cutPrompt('😀😀', 3), '😀');
});

test('a window of the document (not its start) is cut at a boundary even when it fits', () => {
  const window = 'rd\nnext line, and more';
  assert.equal(cutPrompt(window, 100, false), 'next line, and more');
  assert.equal(cutPrompt(window, 100, true), window);
});

const code = 'const x = 1;\n'.repeat(1000); // 13 000 characters, 13 a line

test('a huge file: the prompt aims at contextTokens × characters per token, then moves to a line start', () => {
  // 128 tokens × 4 = 512 characters, which begin mid-line: 39 whole lines are left.
  assert.equal(planPrompt(code, { ...gpt2, contextTokens: 128 }).prompt, 'const x = 1;\n'.repeat(39));
  // With 2.2 characters per token learned for this document: 563 characters, 43 whole lines.
  assert.equal(planPrompt(code, { ...gpt2, charsPerToken: 2.2 }).prompt, 'const x = 1;\n'.repeat(43));
});

test('the whole context can be asked for: the prompt aims at the room left after the new tokens', () => {
  // 1024 - 16 = 1008 tokens of room × 4 characters = 4032 characters, from the next line start: 310 lines.
  assert.equal(planPrompt(code, { ...gpt2, contextTokens: 1024 }).prompt, 'const x = 1;\n'.repeat(310));
  // Text of more tokens than characters is aimed at the same way; the model process keeps what fits.
  assert.equal(planPrompt('日本語'.repeat(1000), { ...gpt2, nCtx: 128 }).prompt.length, 448);
});

test('a small context keeps at least half of it for the prompt', () => {
  const plan = planPrompt('x', { ...gpt2, nCtx: 128, maxTokens: 100 });
  assert.equal(plan.maxNewTokens, 64);
});

test('a single trailing space after a word is taken off and remembered; indentation is left alone', () => {
  assert.deepEqual(healTrailingSpace('Hello '), { text: 'Hello', healed: true });
  assert.deepEqual(healTrailingSpace('Hello  '), { text: 'Hello  ', healed: false });
  assert.deepEqual(healTrailingSpace('x\n '), { text: 'x\n ', healed: false });
  assert.deepEqual(healTrailingSpace(' '), { text: ' ', healed: false });
  assert.deepEqual(planPrompt('The cat ', gpt2), { maxNewTokens: 16, prompt: 'The cat', healed: true });
});

test('characters per token are learned per document from long prompts, capped, and forgotten oldest first', () => {
  const estimate = new CharsPerToken();
  assert.equal(estimate.of('file:///a.py'), 4);
  estimate.observe('file:///a.py', 300, 100);
  assert.equal(estimate.of('file:///a.py'), 3);
  estimate.observe('file:///a.py', 100, 10); // too short to say anything
  assert.equal(estimate.of('file:///a.py'), 3);
  estimate.observe('file:///b.txt', 1000, 100);
  assert.equal(estimate.of('file:///b.txt'), 6);
  for (let i = 0; i < 64; i++) estimate.observe(`file:///${i}`, 400, 100);
  assert.equal(estimate.of('file:///a.py'), 4);
});
