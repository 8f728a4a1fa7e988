// Class 12 — a loose command line. Every argument is checked: positionals and flags that the command does
// not take are refused with the usage hint (exit 2), numbers are decimal and in range, seeds cover exactly
// the documented 0 … 2^32 − 1, and generating past the model's context is refused or said.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { glassbox, MODEL, oneLine, SHAPE, workFolder } from './fault-kit';

const work = workFolder('command-line');
const cache = join(work, 'cache');
const inspect = (...extra: string[]) => ['inspect', '--model', MODEL, '--text', 'Hello', '--cache-dir', cache, ...extra];
const generate = (...extra: string[]) => ['generate', '--model', MODEL, '--text', 'Hello', '--max-new-tokens', '3', '--cache-dir', cache, ...extra];

describe('refused, exit 2, one line naming the argument', { concurrency: true }, () => {
  const cases: [string, string[], RegExp][] = [
    ['an extra positional', inspect('extra'), /unexpected argument "extra"/],
    ["generate's --seed on inspect", inspect('--seed', '1'), /inspect takes no --seed/],
    ["generate's --max-new-tokens on inspect", inspect('--max-new-tokens', '3'), /inspect takes no --max-new-tokens/],
    ["inspect's --target on generate", generate('--target', ' the'), /generate takes no --target/],
    ['--top-k 0x10', inspect('--top-k', '0x10'), /--top-k must be a whole number from 1 to 50257, got "0x10"/],
    ['--top-k 1e1', inspect('--top-k', '1e1'), /--top-k must be a whole number from 1 to 50257, got "1e1"/],
    ['--top-k 99999', inspect('--top-k', '99999'), /--top-k must be a whole number from 1 to 50257, got "99999"/],
    ['--temperature 1e-38', generate('--temperature', '1e-38'), /--temperature must be 0 \(greedy\) or from 0\.01 to 100, got "1e-38"/],
    ['--temperature Infinity', generate('--temperature', 'Infinity'), /--temperature must be 0 \(greedy\) or from 0\.01 to 100, got "Infinity"/],
    ['--temperature 0x1', generate('--temperature', '0x1'), /--temperature must be 0 \(greedy\) or from 0\.01 to 100, got "0x1"/],
    ['--top-p 0', generate('--top-p', '0'), /--top-p must be a number in \(0, 1\], got "0"/],
    ['--seed 4294967296 (2^32)', generate('--seed', '4294967296'), /--seed must be a whole number from 0 to 4294967295, got "4294967296"/],
    ['--seed 1e300', generate('--seed', '1e300'), /--seed must be a whole number from 0 to 4294967295, got "1e300"/],
    ['--seed -1', generate('--seed=-1'), /--seed must be a whole number from 0 to 4294967295, got "-1"/],
    ['--max-new-tokens 1.5', ['generate', '--model', MODEL, '--text', 'Hi', '--max-new-tokens', '1.5', '--cache-dir', cache], /--max-new-tokens must be a whole number from 1 to 4096, got "1\.5"/],
    ['no command', ['--model', MODEL], /a command is required: inspect, generate, attribute, patch, routes, heads or demo-model/],
    ['demo-model with --model', ['demo-model', '--model', MODEL], /demo-model takes no --model/],
  ];
  for (const [what, args, says] of cases) {
    test(what, async () => {
      const run = await glassbox(args);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      const line = oneLine(run);
      assert.match(line, says);
      assert.match(line, /\(see glassbox --help\)$/);
    });
  }
});

describe('seeds and the context limit', () => {
  test('distinct seeds sample distinct continuations; the largest seed is accepted', async () => {
    const sample = (seed: string) => glassbox(['generate', '--model', MODEL, '--text', 'Once', '--max-new-tokens', '12', '--temperature', '1', '--seed', seed, '--json', '--cache-dir', cache]);
    const runs = await Promise.all(['0', '1', '4294967295', '0'].map(sample));
    runs.forEach((r) => assert.equal(r.code, 0, r.stderr));
    const texts = runs.map((r) => (JSON.parse(r.stdout) as { text: string }).text);
    assert.equal(texts[0], texts[3], 'the same seed repeats');
    assert.equal(new Set(texts.slice(0, 3)).size, 3, `three seeds, three continuations: ${JSON.stringify(texts)}`);
  });

  test('a prompt that fills the context is refused with both counts', async () => {
    const run = await glassbox(['generate', '--model', MODEL, '--text', ' word'.repeat(SHAPE.nCtx), '--max-new-tokens', '5', '--cache-dir', cache]);
    assert.equal(run.code, 1);
    assert.match(oneLine(run), new RegExp(`the text is ${SHAPE.nCtx} tokens and the model's context holds ${SHAPE.nCtx}: there is no room to generate`));
  });

  test('generation that reaches the context limit stops there and says so on stderr', async () => {
    const run = await glassbox(['generate', '--model', MODEL, '--text', ' word'.repeat(SHAPE.nCtx - 3), '--max-new-tokens', '10', '--cache-dir', cache]);
    assert.equal(run.code, 0, run.stderr);
    assert.notEqual(run.stdout.trim(), '');
    assert.match(oneLine(run), new RegExp(`stopped after 3 of 10 tokens: the model's context \\(${SHAPE.nCtx} tokens\\) is full`));
  });
});
