// `glassbox inspect|generate`: the engine from a terminal, for scripts, tests and benchmarks. Every failure
// is one line on stderr naming the problem and a non-zero exit, never a stack trace.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GlassboxError, toErrorInfo } from '../protocol/errors';
import { inspectionToJson } from '../protocol/inspection-json';
import { cacheDirFromFlag } from './cache-dir';
import { DEFAULT_TOP_K, Gpt2Engine, type DeviceChoice } from './gpt2-engine';

const USAGE = `usage:
  glassbox inspect  --model DIR (--text TEXT | --file PATH) [--top-k K] [--target TOKEN_TEXT] [--json]
  glassbox generate --model DIR (--text TEXT | --file PATH) --max-new-tokens N
                    [--temperature T --top-k K --top-p P --seed S] [--json]
common: [--device auto|cpu|webgpu] [--cache-dir DIR]`;

const OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  target: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  device: { type: 'string' },
  'cache-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function number(flags: Flags, name: keyof Flags, check: (n: number) => boolean, what: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return n;
}

function inputText(flags: Flags): string {
  if (flags.text !== undefined && flags.file !== undefined) throw new UsageError('give --text or --file, not both');
  if (flags.file !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(flags.file);
    } catch {
      throw new GlassboxError('bad-request', `cannot read ${flags.file}`);
    }
    if (bytes.includes(0)) throw new GlassboxError('bad-request', `${flags.file} looks like a binary file; Glassbox reads text`);
    return bytes.toString('utf8');
  }
  if (flags.text === undefined) throw new UsageError('--text or --file is required');
  return flags.text;
}

async function main(argv: string[]): Promise<void> {
  const { values: flags, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (flags.help || command === undefined) {
    console.log(USAGE);
    return;
  }
  if (command !== 'inspect' && command !== 'generate') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (!flags.model) throw new UsageError('--model DIR is required');
  const device = (flags.device ?? 'auto') as DeviceChoice;
  if (!['auto', 'cpu', 'webgpu'].includes(device)) throw new UsageError('--device must be auto, cpu or webgpu');
  const text = inputText(flags);
  if (text.length === 0) throw new GlassboxError('text-empty', 'the text is empty');
  // In generation top-k 0 means no cut-off; a lens needs at least one entry.
  const minTopK = command === 'generate' ? 0 : 1;
  const topK = number(flags, 'top-k', (n) => Number.isInteger(n) && n >= minTopK, minTopK === 0 ? 'a whole number ≥ 0' : 'a positive whole number');

  const engine = await Gpt2Engine.load({ modelDir: flags.model, cacheDir: cacheDirFromFlag(flags['cache-dir']), device });
  try {
    if (command === 'inspect') {
      const targetId = flags.target === undefined ? null : engine.targetTokenId(flags.target);
      // The printed summary shows no patterns: asking for them all would cost GBs on a long text and a big model.
      const inspection = await engine.inspect(text, { topK: topK ?? DEFAULT_TOP_K, targetId, patternLayers: flags.json ? 'all' : [] });
      const json = inspectionToJson(inspection);
      if (flags.json) console.log(JSON.stringify({ ...json, randomWeights: engine.randomWeights }));
      else printInspection(json);
    } else {
      const maxNewTokens = number(flags, 'max-new-tokens', (n) => Number.isInteger(n) && n >= 1, 'a positive whole number');
      if (maxNewTokens === undefined) throw new UsageError('--max-new-tokens N is required');
      const generation = await engine.generate(text, {
        maxNewTokens,
        temperature: number(flags, 'temperature', (n) => n >= 0, 'a number ≥ 0'),
        topK,
        topP: number(flags, 'top-p', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
        seed: number(flags, 'seed', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0'),
      });
      if (flags.json) console.log(JSON.stringify({ model: engine.summary, backend: engine.backend, ...generation }));
      else process.stdout.write(generation.text + '\n');
    }
  } finally {
    await engine.dispose();
  }
}

function printInspection(json: ReturnType<typeof inspectionToJson>): void {
  const show = (s: string) => JSON.stringify(s);
  console.log(`${json.model.name} on ${json.backend}: ${json.tokens.length} tokens`);
  json.tokens.forEach((token, t) => {
    const next = json.logits[t];
    const guesses = next.topk.slice(0, 3).map((e) => `${show(e.text)} ${(100 * e.prob).toFixed(1)}%`).join(', ');
    console.log(`${String(token.id).padStart(6)} ${show(token.text).padEnd(16)} → ${guesses}`);
  });
}

// A mistake in the command line exits 2 and points at --help; anything else exits 1.
main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || isParseArgsError(error)) {
    // Node's own parse errors put their hint ("use '--temperature=-1'") on further lines: keep it, on this one.
    console.error(`glassbox: ${error.message.replace(/\s*\n\s*/g, ' ')} (see glassbox --help)`);
    process.exit(2);
  }
  console.error(`glassbox: ${toErrorInfo(error).message.split('\n')[0]}`);
  process.exit(1);
});

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS');
}
