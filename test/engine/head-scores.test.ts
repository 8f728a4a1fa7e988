// `glassbox heads --json`: the head catalogue's scores, held to the definitions computed plainly from the
// reference forward's attention patterns on the probe the command reports.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generatedModel, referenceModel, SHAPES } from './generated-models';
import { referenceForward } from './reference-gpt2';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'glassbox-heads-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface HeadsJson {
  tokens: number[];
  repeatStart: number;
  repeatLength: number;
  scores: Record<'previousToken' | 'firstToken' | 'duplicateToken' | 'induction', number[][]>;
}

function heads(model: string, ...args: string[]): HeadsJson {
  return JSON.parse(execFileSync(process.execPath, [CLI, 'heads', '--model', model, '--json', '--cache-dir', join(work, 'cache'), ...args], { encoding: 'utf8' })) as HeadsJson;
}

/** mean over q = from … to of A[q][key(q)] */
function mean(pattern: Float32Array[], from: number, to: number, key: (q: number) => number): number {
  let sum = 0;
  for (let q = from; q <= to; q++) sum += pattern[q][key(q)];
  return sum / (to - from + 1);
}

for (const [name, shape] of Object.entries({ small: SHAPES.small, deep: SHAPES.deep })) {
  describe(`heads on the ${name} model`, () => {
    const model = generatedModel(shape);
    const R = 9;
    const json = heads(model, '--repeat-length', String(R), '--seed', '5');

    test('the probe: end-of-text, R distinct random tokens, the same R again', () => {
      const { tokens, repeatStart: s, repeatLength } = json;
      assert.equal(repeatLength, R);
      assert.equal(s, 1);
      assert.equal(tokens.length, 2 * R + 1);
      assert.equal(tokens[0], 50256);
      assert.deepEqual(tokens.slice(s + R, s + 2 * R), tokens.slice(s, s + R));
      assert.equal(new Set(tokens.slice(s, s + R)).size, R);
    });

    test('every score of every head equals its definition on the reference patterns', () => {
      const { tokens, repeatStart: s } = json;
      const N = tokens.length;
      const { config, weights } = referenceModel(model);
      const run = referenceForward(config, weights, tokens);
      for (let l = 0; l < shape.nLayer; l++) {
        for (let h = 0; h < shape.nHead; h++) {
          const A = run.patterns[l][h];
          const expected = {
            previousToken: mean(A, 1, N - 1, (q) => q - 1),
            firstToken: mean(A, 1, N - 1, () => 0),
            duplicateToken: mean(A, s + R, s + 2 * R - 1, (q) => q - R),
            induction: mean(A, s + R, s + 2 * R - 1, (q) => q - R + 1),
          };
          for (const [kind, value] of Object.entries(expected)) {
            const got = json.scores[kind as keyof HeadsJson['scores']][l][h];
            assert.ok(Math.abs(got - value) <= 1e-5, `${kind} L${l}H${h}: ${got} vs ${value}`);
          }
        }
      }
    });
  });
}

test('the same seed gives the same probe; another seed another one', () => {
  const model = generatedModel(SHAPES.small);
  assert.deepEqual(heads(model, '--seed', '3', '--repeat-length', '6').tokens, heads(model, '--seed', '3', '--repeat-length', '6').tokens);
  assert.notDeepEqual(heads(model, '--seed', '3', '--repeat-length', '6').tokens, heads(model, '--seed', '4', '--repeat-length', '6').tokens);
});

test('a probe that does not fit the context is refused with the largest R that does', () => {
  const model = generatedModel(SHAPES.small); // context 64: R ≤ 31
  assert.throws(
    () => execFileSync(process.execPath, [CLI, 'heads', '--model', model, '--repeat-length', '32', '--cache-dir', join(work, 'cache')], { encoding: 'utf8', stdio: 'pipe' }),
    (error: { stderr: string }) => /repeat length must be a whole number from 1 to 31/.test(error.stderr),
  );
});
