// Class 13 — odd tokenizers. Glassbox maps every token back onto the user's text by its bytes, so a
// tokenizer.json that rewrites the text first (NFKC, Lowercase) or gives a token an id with no embedding row
// is refused before anything runs, naming what is wrong, instead of raw runtime errors or misplaced tokens.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { glassbox, inspectArgs, modelCopy, oneLine, workFolder, editJson } from './fault-kit';

const editTokenizer = (dir: string, edit: (json: Record<string, unknown>) => void): void => editJson(dir, 'tokenizer.json', edit);
const work = workFolder('tokenizers');


describe('refused, naming the problem', { concurrency: true }, () => {
  const cases: [string, (t: Record<string, unknown>) => void, RegExp][] = [
    ['an NFKC normalizer', (t) => void (t.normalizer = { type: 'NFKC' }), /tokenizer\.json has a "NFKC" normalizer/],
    ['a Lowercase normalizer', (t) => void (t.normalizer = { type: 'Lowercase' }), /tokenizer\.json has a "Lowercase" normalizer/],
    ['a Sequence of normalizers', (t) => void (t.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] }), /has a Sequence \[NFD, StripAccents\] normalizer/],
    ['a Whitespace pre-tokenizer', (t) => void (t.pre_tokenizer = { type: 'Whitespace' }), /has a "Whitespace" pre-tokenizer/],
    ['a WordPiece model', (t) => void ((t.model as Record<string, unknown>).type = 'WordPiece'), /is a "WordPiece" tokenizer/],
    [
      'an added token past the vocabulary',
      (t) => void (t.added_tokens as unknown[]).push({ id: 50257, content: '<|pad|>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }),
      /gives the token "<\|pad\|>" the id 50257, outside the model's vocabulary of 50257/,
    ],
    ['a vocabulary entry with a negative id', (t) => void ((t.model as { vocab: Record<string, number> }).vocab['zzz'] = -4), /gives the token "zzz" the id -4/],
  ];
  let i = 0;
  for (const [what, edit, says] of cases) {
    const dir = join(work, `model-${i++}`);
    test(what, async () => {
      const run = await glassbox(inspectArgs(modelCopy(dir, (d) => editTokenizer(d, edit)), join(work, 'cache')));
      assert.equal(run.code, 1, run.stderr);
      assert.match(oneLine(run), says);
    });
  }
});
