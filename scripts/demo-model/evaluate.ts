// Maintainer tool: the demo model's figures for its MODEL_CARD.md, measured through the project's own CLI
// (dist/cli.js, so the numbers are the ones the product computes), printed as Markdown.
//
//   npm run build && npx tsx scripts/demo-model/evaluate.ts --corpus /tmp/glassbox-corpus [--model demo-model]
//
// - Held-out perplexity: the held-out Brown samples (prepare-corpus.ts), cut at paragraph ends into windows
//   of at most ~200 tokens, each inspected; perplexity = exp(mean over every predicted token of −ln p(next)).
//   A window's first token has no prediction (there is no start token), so it is not counted.
// - Baselines on the same tokens: a unigram model of the training tokens (add-one smoothed), and uniform.
// - Heads: for every layer and head, the mean attention to the previous token (A[q, q−1] over q ≥ 1) on the
//   first windows.
// - Greedy completions of plain English prompts.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InspectionJson } from '../../protocol/inspection-json';

const root = join(import.meta.dirname, '..', '..');
const CLI = join(root, 'dist', 'cli.js');
const VOCAB = 50257;
const WINDOW_CHARS = 800;
const MAX_WINDOWS = 60;
const PROMPTS = ['The man said that', 'In the morning, she', 'The government of the United States', 'It was a long time before', 'function add(a, b) {'];

function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`usage: evaluate.ts --corpus DIR [--model DIR]`);
  return value;
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** Paragraphs joined into windows of at most WINDOW_CHARS characters (a paragraph longer than that alone). */
function windows(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const paragraph of text.split('\n').filter((p) => p.trim() !== '')) {
    if (current !== '' && current.length + paragraph.length + 1 > WINDOW_CHARS) {
      out.push(current);
      current = '';
    }
    current = current === '' ? paragraph.slice(0, WINDOW_CHARS) : `${current}\n${paragraph}`;
  }
  if (current !== '') out.push(current);
  return out;
}

function main(): void {
  const corpus = flag('--corpus');
  const model = flag('--model', join(root, 'demo-model'));
  const heldOut = windows(readFileSync(join(corpus, 'heldout-brown.txt'), 'utf8')).slice(0, Number(flag('--windows', String(MAX_WINDOWS))));
  const train = new Uint16Array(readFileSync(join(corpus, 'train.u16')).buffer.slice(0));
  const counts = new Float64Array(VOCAB);
  for (const id of train) counts[id] += 1;
  const unigram = (id: number) => (counts[id] + 1) / (train.length + VOCAB);

  let nll = 0;
  let unigramNll = 0;
  let predicted = 0;
  let previous: number[][] | null = null;
  let patternWindows = 0;
  for (const [w, text] of heldOut.entries()) {
    const json = JSON.parse(cli(['inspect', '--model', model, '--text', text, '--top-k', '1', '--json'])) as InspectionJson;
    for (const position of json.logits) {
      if (position.next === null) continue;
      nll -= Math.log(position.next.prob);
      unigramNll -= Math.log(unigram(position.next.id));
      predicted += 1;
    }
    if (w < 10) {
      // Mean attention to the previous token, per layer and head.
      const scores = json.attention.map((layer) => (layer.pattern ?? []).map((head) => head.slice(1).reduce((sum, row, q) => sum + row[q], 0) / (head.length - 1)));
      previous = previous === null ? scores : previous.map((layer, l) => layer.map((s, h) => s + scores[l][h]));
      patternWindows += 1;
    }
  }
  const perplexity = Math.exp(nll / predicted);
  console.log(`## Held-out Brown (${heldOut.length} windows, ${predicted} predicted tokens)\n`);
  console.log('| model | perplexity |\n| --- | --- |');
  console.log(`| demo model | ${perplexity.toFixed(1)} |`);
  console.log(`| unigram of the training tokens (add-one) | ${Math.exp(unigramNll / predicted).toFixed(1)} |`);
  console.log(`| uniform over ${VOCAB} tokens | ${VOCAB} |\n`);

  console.log(`## Attention to the previous token (mean over ${patternWindows} held-out windows)\n`);
  console.log(`| layer | ${previous![0].map((_, h) => `head ${h}`).join(' | ')} |`);
  console.log(`| --- | ${previous![0].map(() => '---').join(' | ')} |`);
  previous!.forEach((layer, l) => console.log(`| ${l} | ${layer.map((s) => (s / patternWindows).toFixed(2)).join(' | ')} |`));

  console.log('\n## Greedy completions (12 tokens)\n');
  for (const prompt of PROMPTS) {
    const text = cli(['generate', '--model', model, '--text', prompt, '--max-new-tokens', '12']).replace(/\n$/, '');
    console.log(`- ${JSON.stringify(prompt)} → ${JSON.stringify(text)}`);
  }
}

main();
