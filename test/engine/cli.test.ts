// The command line as a user runs it: the built `dist/cli.js` in a child process, on a generated model.
// Each test reads as an example: the command, then what it prints. The bad inputs at the end all keep one
// promise: a non-zero exit and a single line on stderr that names the problem.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import type { Generation } from '../../engine/run/generation';
import type { ModelSummary } from '../../protocol/inspection';
import { inspectionToJson, type InspectionJson } from '../../protocol/inspection-json';
import { generatedModel, SHAPES } from './generated-models';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const SHAPE = SHAPES.small; // 2 layers, 4 heads, d=32, a context of 64 tokens
const MODEL = generatedModel(SHAPE);
const WORK = mkdtempSync(join(tmpdir(), 'glassbox-cli-test-'));
const CACHE = join(WORK, 'cache');
after(() => rmSync(WORK, { recursive: true, force: true }));

interface Run {
  /** The exit code; null when the process was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/cli.js ...args --cache-dir <temp>`, resolved when the process exits, whatever its exit code. */
function glassbox(...args: string[]): Promise<Run> {
  return glassboxWithCache(CACHE, args);
}

async function glassboxWithCache(cacheDir: string, args: readonly string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--cache-dir', cacheDir], { maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

function assertSucceeded(run: Run): void {
  assert.equal(run.code, 0, `exit code ${run.code}, stderr: ${run.stderr}`);
  // Nothing at all on stderr: native warnings (Dawn looking for Vulkan, onnxruntime) would show up here.
  assert.equal(run.stderr, '');
}

describe('inspect --json: tokens, logits, logit lens and attention as one JSON object', () => {
  const text = 'Look at the café, naïve reader';
  let json: InspectionJson & { randomWeights: boolean };
  let n: number;

  before(async () => {
    const run = await glassbox('inspect', '--model', MODEL, '--text', text, '--top-k', '3', '--target', ' the', '--json');
    assertSucceeded(run);
    json = JSON.parse(run.stdout);
    n = json.tokens.length;
  });

  test('names the model, the backend, and says the weights are random', () => {
    assert.deepEqual(
      [json.model.name, json.model.nLayer, json.model.nHead, json.model.nEmbd, json.model.nCtx, json.model.vocabSize],
      [MODEL, SHAPE.nLayer, SHAPE.nHead, SHAPE.nEmbd, SHAPE.nCtx, 50257],
    );
    assert.ok(json.backend === 'cpu' || json.backend === 'webgpu');
    assert.equal(json.randomWeights, true);
  });

  test('tokens: id, text and the UTF-16 range of the input it covers, back to back', () => {
    assert.deepEqual(
      json.tokens.map((t) => t.text),
      ['Look', ' at', ' the', ' café', ',', ' naïve', ' reader'],
    );
    json.tokens.forEach((token, i) => {
      assert.equal(text.slice(token.start, token.end), token.text, `token ${i}`);
      assert.equal(token.start, i === 0 ? 0 : json.tokens[i - 1].end, `token ${i} starts where the previous ended`);
    });
    assert.equal(json.tokens.at(-1)!.end, text.length);
  });

  test('logits: per position, --top-k 3 guesses and the probability and rank of the token that came next', () => {
    assert.equal(json.logits.length, n);
    json.logits.forEach((position, i) => {
      assert.equal(position.topk.length, 3);
      assert.ok(position.topk.every((e, j) => j === 0 || e.prob <= position.topk[j - 1].prob), `position ${i}: top-k descending`);
      if (i === n - 1) return assert.equal(position.next, null, 'nothing comes after the last token');
      assert.equal(position.next!.id, json.tokens[i + 1].id);
      assert.ok(position.next!.prob > 0 && position.next!.prob <= position.topk[0].prob);
      const inTopK = position.topk.findIndex((e) => e.id === position.next!.id);
      if (inTopK >= 0) assert.equal(position.next!.rank, inTopK);
      else assert.ok(position.next!.rank >= 3);
    });
  });

  test('lens: one entry per residual point, blocks.0.hook_resid_pre … blocks.1.hook_resid_post', () => {
    assert.deepEqual(
      json.lens.map((point) => point.hook),
      ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post'],
    );
    for (const point of json.lens) {
      assert.equal(point.positions.length, n);
      for (const cell of point.positions) {
        assert.equal(cell.topk.length, 3);
        assert.ok(cell.entropy > 0 && cell.entropy <= Math.log(50257) + 1e-4, `${point.hook}: entropy ${cell.entropy} nats`);
        assert.ok(cell.kl >= -1e-5, `${point.hook}: KL ${cell.kl}`);
      }
    }
  });

  test("the last lens point is the model's own output: the same top-k as logits, and no KL from it", () => {
    const last = json.lens.at(-1)!;
    last.positions.forEach((cell, i) => {
      assert.deepEqual(cell.topk, json.logits[i].topk, `position ${i}`);
      assert.ok(Math.abs(cell.kl) < 1e-5);
    });
  });

  test('--target " the": its probability and rank at every point and position', () => {
    for (const point of json.lens) {
      for (const cell of point.positions) {
        assert.ok(cell.target !== null);
        assert.ok(cell.target.prob > 0 && cell.target.prob <= cell.topk[0].prob);
        assert.ok(Number.isInteger(cell.target.rank) && cell.target.rank >= 0);
      }
    }
    // " the" is what actually follows "Look at", so at the output it is also that position's next token.
    const at = json.tokens.findIndex((t) => t.text === ' at');
    assert.equal(json.tokens[at + 1].id, 262);
    const target = json.lens.at(-1)!.positions[at].target!;
    const next = json.logits[at].next!;
    assert.equal(target.rank, next.rank);
    assert.ok(Math.abs(target.prob - next.prob) < 1e-6);
  });

  test('attention: per layer, [head][query][key], causal, each row a distribution over the keys', () => {
    assert.deepEqual(
      json.attention.map((layer) => layer.hook),
      ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern'],
    );
    for (const { hook, pattern } of json.attention) {
      assert.ok(pattern, `${hook}: the CLI carries every layer`);
      assert.equal(pattern.length, SHAPE.nHead);
      pattern.forEach((head, h) => {
        assert.equal(head.length, n);
        head.forEach((row, q) => {
          assert.equal(row.length, n);
          const sum = row.reduce((s, p) => s + p, 0);
          assert.ok(Math.abs(sum - 1) < 1e-5, `${hook} head ${h} query ${q}: sums to ${sum}`);
          assert.ok(row.slice(q + 1).every((p) => p === 0), `${hook} head ${h} query ${q}: no weight on later keys`);
        });
      });
    }
  });

  test('is exactly what the engine API returns in-process: the CLI only wraps it', async () => {
    const engine = await Gpt2Engine.load({ modelDir: MODEL, cacheDir: CACHE });
    try {
      const inspection = await engine.inspect(text, { topK: 3, targetId: engine.targetTokenId(' the') });
      const { randomWeights, ...fromCli } = json;
      assert.deepEqual(fromCli, JSON.parse(JSON.stringify(inspectionToJson(inspection))));
      assert.equal(randomWeights, engine.randomWeights);
    } finally {
      await engine.dispose();
    }
  });
});

describe('inspect without --json: one line per token with its top guesses', () => {
  test('prints the model, then each token and what the model expects after it', async () => {
    const run = await glassbox('inspect', '--model', MODEL, '--text', 'Hello world');
    assertSucceeded(run);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0], /on (cpu|webgpu): 2 tokens$/);
    assert.match(lines[1], /^ *15496 "Hello" +→ (".*" \d+\.\d%, ){2}".*" \d+\.\d%$/);
    assert.match(lines[2], /^ *995 " world" +→ /);
  });
});

describe('a token holding part of a character: its bytes beside its text, never a bare "�"', () => {
  // GPT-2 splits "’" (E2 80 99) into 447 (E2 80) and 247 (99).
  test('inspect --json adds `bytes` to such a token, keeping its `text` as the decoder gives it', async () => {
    const run = await glassbox('inspect', '--model', MODEL, '--text', 'It’s', '--top-k', '3', '--json');
    assertSucceeded(run);
    const json: InspectionJson = JSON.parse(run.stdout);
    assert.deepEqual(json.tokens, [
      { id: 1026, text: 'It', start: 0, end: 2 },
      { id: 447, text: '\uFFFD', bytes: [0xe2, 0x80], start: 2, end: 3 },
      { id: 247, text: '\uFFFD', bytes: [0x99], start: 2, end: 3 },
      { id: 82, text: 's', start: 3, end: 4 },
    ]);
  });

  test('the printed summary shows it by its bytes', async () => {
    const run = await glassbox('inspect', '--model', MODEL, '--text', 'It’s');
    assertSucceeded(run);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[2], /^ *447 "⟨0xE2⟩⟨0x80⟩" +→ /);
    assert.match(lines[3], /^ *247 "⟨0x99⟩" +→ /);
  });
});

describe('generate', { concurrency: true }, () => {
  const greedy = ['generate', '--model', MODEL, '--text', 'Once upon a time', '--max-new-tokens', '5'];
  // One `--json` run serves both tests that read it.
  let json: Promise<Run> | undefined;
  const greedyJson = () => (json ??= glassbox(...greedy, '--json'));

  test('--max-new-tokens 5 prints the continuation (greedy by default)', async () => {
    const [plain, asJson] = await Promise.all([glassbox(...greedy), greedyJson()]);
    assertSucceeded(plain);
    assert.ok(plain.stdout.trim().length > 0);
    assert.equal(plain.stdout, (JSON.parse(asJson.stdout) as Generation).text + '\n');
  });

  test('--json: the generated tokens, their text, the prompt length and why it stopped', async () => {
    const run = await greedyJson();
    assertSucceeded(run);
    const generation: Generation & { model: ModelSummary } = JSON.parse(run.stdout);
    assert.equal(generation.model.nCtx, SHAPE.nCtx);
    assert.equal(generation.promptTokens, 4);
    assert.equal(generation.tokens.length, 5);
    assert.ok(generation.tokens.every((t) => Number.isInteger(t.id) && typeof t.text === 'string'));
    assert.equal(generation.text, generation.tokens.map((t) => t.text).join(''));
    assert.equal(generation.stop, 'max-tokens');
  });

  test('--temperature 1 --seed 3 samples, and the same seed gives the same text', async () => {
    const sampled = [...greedy, '--temperature', '1', '--seed', '3'];
    const [first, second] = await Promise.all([glassbox(...sampled), glassbox(...sampled)]);
    assertSucceeded(first);
    assertSucceeded(second);
    assert.equal(first.stdout, second.stdout);
  });
});

describe('the graph cache', () => {
  test('commands started together on an empty --cache-dir all succeed, sharing one graph', async () => {
    // Each builds the graph; the first to finish keeps it, and the others must not pull it from under it.
    // (Eight at once caught the old replace-whatever-is-there build most of the time on two cores.)
    const emptyCache = join(WORK, 'empty-cache');
    const args = ['inspect', '--model', MODEL, '--text', 'Hello', '--json'];
    const runs = await Promise.all(Array.from({ length: 8 }, () => glassboxWithCache(emptyCache, args)));
    runs.forEach(assertSucceeded);
    assert.equal(new Set(runs.map((r) => r.stdout)).size, 1);
    assert.equal(readdirSync(join(emptyCache, 'graphs')).length, 1);
  });
});

// ---- bad input ----

/** A copy of the generated model, broken by `breakIt`; the original is shared and stays intact. */
function brokenModel(name: string, breakIt: (dir: string) => void): string {
  const dir = join(WORK, 'models', name);
  cpSync(MODEL, dir, { recursive: true });
  breakIt(dir);
  return dir;
}

function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  edit(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
}

/** Puts `header` where the safetensors JSON header was, keeping the tensor data after it. */
function replaceSafetensorsHeader(dir: string, header: string): void {
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const data = bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
  const headerBytes = Buffer.from(header, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  writeFileSync(path, Buffer.concat([length, headerBytes, data]));
}

function inspectModel(dir: string): string[] {
  return ['inspect', '--model', dir, '--text', 'Hello'];
}

interface BadInput {
  readonly problem: string;
  /** Built when the test runs, so broken copies are made only by the test that needs them. */
  readonly args: () => string[];
  /** A phrase of the one line on stderr. */
  readonly says: RegExp;
  /** 2 for a mistake in the command line itself, 1 for anything else. */
  readonly exit: 1 | 2;
}

const BAD_INPUT: readonly BadInput[] = [
  { problem: 'a model folder that does not exist', args: () => inspectModel(join(WORK, 'nowhere')), says: /Model folder not found: .*nowhere/, exit: 1 },
  {
    problem: 'a folder without model.safetensors',
    args: () => inspectModel(brokenModel('no-weights', (dir) => rmSync(join(dir, 'model.safetensors')))),
    says: /no-weights is missing model\.safetensors; a GPT-2 model folder holds it beside config\.json and tokenizer\.json\.$/,
    exit: 1,
  },
  {
    problem: 'a folder with none of a model\'s files: each named once',
    args: () => inspectModel(brokenModel('not-a-model', (dir) => ['config.json', 'model.safetensors', 'tokenizer.json'].forEach((name) => rmSync(join(dir, name))))),
    says: /not-a-model is not a GPT-2 model folder: it holds none of config\.json, model\.safetensors or tokenizer\.json\.$/,
    exit: 1,
  },
  {
    problem: 'model.safetensors cut to half its size',
    args: () =>
      inspectModel(
        brokenModel('truncated', (dir) => {
          const path = join(dir, 'model.safetensors');
          truncateSync(path, Math.floor(readFileSync(path).length / 2));
        }),
      ),
    says: /model\.safetensors is not a valid safetensors file: .* runs past the end of the file \(truncated download\?\)/,
    exit: 1,
  },
  {
    problem: 'model.safetensors whose header is garbage',
    args: () => inspectModel(brokenModel('garbage-header', (dir) => replaceSafetensorsHeader(dir, '\u0001\u0002 not a header {'))),
    says: /model\.safetensors is not a valid safetensors file: its header is not JSON/,
    exit: 1,
  },
  {
    problem: 'model.safetensors whose header lists a tensor as null',
    args: () => inspectModel(brokenModel('null-tensor', (dir) => replaceSafetensorsHeader(dir, '{"wte.weight": null}'))),
    says: /model\.safetensors is not a valid safetensors file: tensor wte\.weight is not a \{dtype, shape, data_offsets\} entry/,
    exit: 1,
  },
  {
    problem: 'tensor shapes that do not match config.json (n_embd 32 → 16)',
    args: () => inspectModel(brokenModel('wrong-width', (dir) => editConfig(dir, (c) => void (c.n_embd = 16)))),
    says: /Tensor "wte\.weight" has shape \[50257, 32\], config\.json implies \[50257, 16\]/,
    exit: 1,
  },
  {
    problem: 'config.json of another architecture (model_type "bert")',
    args: () => inspectModel(brokenModel('bert', (dir) => editConfig(dir, (c) => void (c.model_type = 'bert')))),
    says: /has model_type "bert"; Glassbox runs GPT-2 family models/,
    exit: 1,
  },
  {
    problem: 'config.json that is not JSON',
    args: () => inspectModel(brokenModel('config-not-json', (dir) => writeFileSync(join(dir, 'config.json'), '{ "model_type": "gpt2", '))),
    says: /config\.json is not valid JSON/,
    exit: 1,
  },
  { problem: 'empty text', args: () => ['inspect', '--model', MODEL, '--text', ''], says: /the text is empty/i, exit: 1 },
  {
    problem: 'text longer than the context',
    args: () => ['inspect', '--model', MODEL, '--text', ' word'.repeat(100)],
    says: /The text is 100 tokens; .* reads at most 64/,
    exit: 1,
  },
  { problem: '--top-k 0', args: () => ['inspect', '--model', MODEL, '--text', 'Hello', '--top-k', '0'], says: /--top-k must be a whole number from 1 to 50257, got "0"/, exit: 2 },
  { problem: '--top-k abc', args: () => ['inspect', '--model', MODEL, '--text', 'Hello', '--top-k', 'abc'], says: /--top-k must be a whole number from 1 to 50257, got "abc"/, exit: 2 },
  { problem: 'an unknown command', args: () => ['explain', '--model', MODEL, '--text', 'Hello'], says: /unknown command "explain"/, exit: 2 },
  { problem: 'an unknown option', args: () => ['inspect', '--model', MODEL, '--text', 'Hello', '--colour'], says: /Unknown option '--colour'/, exit: 2 },
  { problem: 'no --model', args: () => ['inspect', '--text', 'Hello'], says: /--model DIR is required/, exit: 2 },
  {
    problem: '--file pointing to a binary file',
    args: () => {
      const path = join(WORK, 'program.bin');
      writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]));
      return ['inspect', '--model', MODEL, '--file', path];
    },
    says: /program\.bin looks like a binary file; Glassbox reads text/,
    exit: 1,
  },
  {
    problem: 'a --target of several tokens',
    args: () => ['inspect', '--model', MODEL, '--text', 'The capital of France is', '--target', ' Parisian'],
    says: /A target must be a single token; " Parisian" is 2 tokens \(" Paris" \+ "ian"\)/,
    exit: 1,
  },
];

describe('bad input: a non-zero exit and one line on stderr that names the problem, no stack trace', { concurrency: true }, () => {
  for (const bad of BAD_INPUT) {
    test(bad.problem, async () => {
      const run = await glassbox(...bad.args());
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
      assert.match(lines[0], /^glassbox: /);
      assert.match(lines[0], bad.says);
      assert.doesNotMatch(run.stderr, /^\s+at /m);
      assert.equal(run.code, bad.exit);
      assert.equal(run.stdout, '');
    });
  }
});
