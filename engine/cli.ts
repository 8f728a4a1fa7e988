// `glassbox inspect|generate`: the engine from a terminal, for scripts, tests and benchmarks. Every failure
// is one line on stderr naming the problem and a non-zero exit, never a stack trace.

import { parseArgs } from 'node:util';
import { GlassboxError, toErrorInfo } from '../protocol/errors';
import { inspectionToJson } from '../protocol/inspection-json';
import { cacheDirFromFlag } from './models/cache-dir';
import { demoModelDir } from './models/demo-model';
import { DEFAULT_TOP_K, Gpt2Engine, type DeviceChoice } from './run/gpt2-engine';
import { HEAD_SCORE_KINDS } from '../protocol/head-scores';
import { routeEdges } from '../protocol/routes';
import { parseAblation, PATCH_HOOKS, type AblationSetting, type PatchHook, type Steering } from '../protocol/interventions';
import { readBoundedFile } from './models/model-folder';
import { pieceText, type TokenPiece } from '../protocol/token-piece';

const VOCAB_SIZE = 50257;
/** TransformerLens's head detector probes with sequences of about this length. */
const DEFAULT_REPEAT_LENGTH = 50;
const MAX_REPEAT_LENGTH = 32_767;
/** The LLM Transparency Tool's default contribution threshold. */
const DEFAULT_ROUTE_THRESHOLD = 0.04;
const MAX_NEW_TOKENS = 4096;
/** Below this a temperature divides logits into overflow; 0 already means the greedy choice. */
const MIN_TEMPERATURE = 0.01;
const MAX_TEMPERATURE = 100;

const USAGE = `usage:
  glassbox inspect    --model DIR (--text TEXT | --file PATH) [--top-k K] [--target TOKEN_TEXT] [--json]
                      [--ablate SPEC …] [--ablation zero|mean]   SPEC: blocks.L.attn.hook_z:H, blocks.L.hook_attn_out,
                                                                 blocks.L.hook_mlp_out, blocks.L.mlp.hook_post:N
  glassbox attribute  --model DIR (--text TEXT | --file PATH) --target TOKEN [--versus TOKEN] [--position P] [--json]
  glassbox patch      --model DIR --clean TEXT --corrupt TEXT --target TOKEN [--versus TOKEN]
                      --hook hook_resid_pre|hook_attn_out|hook_mlp_out|attn.hook_z [--json]
  glassbox generate   --model DIR (--text TEXT | --file PATH) --max-new-tokens N
                      [--temperature T --top-k K --top-p P --seed S] [--json]
                      [--steer-add TEXT --steer-sub TEXT --steer-layer L [--steer-scale C (default 1)]]
  glassbox routes     --model DIR (--text TEXT | --file PATH) [--threshold T (default 0.04)] [--json]
  glassbox heads      --model DIR [--repeat-length R] [--seed S] [--json]
                      every head's previous-token, first-token, duplicate-token and induction scores
  glassbox demo-model   prints the folder of the trained demo model that ships with Glassbox
common: [--device auto|cpu|webgpu] [--cache-dir DIR]
numbers: K, N and S are decimal integers (K ≤ 50257, N ≤ 4096, 0 ≤ S < 2^32); T is 0 (greedy) or 0.01 … 100;
P is in (0, 1]. Generation stops where the model's context is full, and says so on stderr.`;

const COMMON = ['model', 'text', 'file', 'device', 'cache-dir', 'json', 'help'] as const;
/** Which flags each command takes: another command's flag is a mistake, not something to ignore. */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  inspect: [...COMMON, 'top-k', 'target', 'ablate', 'ablation'],
  attribute: [...COMMON, 'target', 'versus', 'position'],
  patch: ['model', 'device', 'cache-dir', 'json', 'help', 'clean', 'corrupt', 'target', 'versus', 'hook'],
  generate: [...COMMON, 'max-new-tokens', 'temperature', 'top-k', 'top-p', 'seed', 'steer-add', 'steer-sub', 'steer-layer', 'steer-scale'],
  heads: ['model', 'device', 'cache-dir', 'json', 'help', 'repeat-length', 'seed'],
  routes: [...COMMON, 'threshold'],
  'demo-model': ['help'],
};

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
  'repeat-length': { type: 'string' },
  ablate: { type: 'string', multiple: true },
  ablation: { type: 'string' },
  versus: { type: 'string' },
  position: { type: 'string' },
  clean: { type: 'string' },
  corrupt: { type: 'string' },
  hook: { type: 'string' },
  threshold: { type: 'string' },
  'steer-add': { type: 'string' },
  'steer-sub': { type: 'string' },
  'steer-layer': { type: 'string' },
  'steer-scale': { type: 'string' },
  device: { type: 'string' },
  'cache-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The largest text file Glassbox reads: far more than any context holds (gpt2's 1,024 tokens ≈ 4 KB). */
const MAX_TEXT_BYTES = 16 * 2 ** 20;

class UsageError extends Error {}

/** A decimal integer in [min, max]: no hex, exponents, fractions or signs other than what the range allows. */
function integer(flags: Flags, name: keyof Flags, min: number, max: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A finite decimal number accepted by `check`, described by `what`. */
function decimal(flags: Flags, name: keyof Flags, check: (n: number) => boolean, what: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return n;
}

function inputText(flags: Flags): string {
  if (flags.text !== undefined && flags.file !== undefined) throw new UsageError('give --text or --file, not both');
  if (flags.file !== undefined) {
    const bytes = readBoundedFile(flags.file, MAX_TEXT_BYTES);
    if (bytes.includes(0)) throw new GlassboxError('bad-request', `${flags.file} looks like a binary file; Glassbox reads text`);
    return bytes.toString('utf8');
  }
  if (flags.text === undefined) throw new UsageError('--text or --file is required');
  return flags.text;
}

async function main(argv: string[]): Promise<void> {
  const { values: flags, positionals, tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  const command = positionals[0];
  if (command === undefined) {
    if (flags.help) return console.log(USAGE);
    throw new UsageError('a command is required: inspect, generate, attribute, patch, routes, heads or demo-model');
  }
  const allowed = COMMAND_FLAGS[command];
  if (allowed === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const misplaced = tokens.find((t) => t.kind === 'option' && !allowed.includes(t.name));
  if (misplaced?.kind === 'option') throw new UsageError(`${command} takes no --${misplaced.name}`);
  if (flags.help) return console.log(USAGE);
  if (command === 'demo-model') return console.log(demoModelDir());
  if (!flags.model) throw new UsageError('--model DIR is required');
  const device = (flags.device ?? 'auto') as DeviceChoice;
  if (!['auto', 'cpu', 'webgpu'].includes(device)) throw new UsageError('--device must be auto, cpu or webgpu');
  if (command === 'heads') return heads(flags, device);
  if (command === 'patch') return patch(flags, device);
  const text = inputText(flags);
  if (text.length === 0) throw new GlassboxError('text-empty', 'the text is empty');
  // In generation top-k 0 means no cut-off; a lens needs at least one entry.
  const topK = integer(flags, 'top-k', command === 'generate' ? 0 : 1, VOCAB_SIZE);

  const ablation = ablationOf(flags);
  const steering = steeringOf(flags);
  await withEngine(flags, device, async (engine) => {
    if (command === 'attribute') {
      await attribute(engine, text, flags);
    } else if (command === 'routes') {
      await routes(engine, text, flags);
    } else if (command === 'inspect') {
      const targetId = flags.target === undefined ? null : engine.targetTokenId(flags.target);
      // The printed summary shows no patterns: asking for them all would cost GBs on a long text and a big model.
      const inspection = await engine.inspect(text, { topK: topK ?? DEFAULT_TOP_K, targetId, patternLayers: flags.json ? 'all' : [], ablation });
      const json = inspectionToJson(inspection);
      if (flags.json) console.log(JSON.stringify({ ...json, randomWeights: engine.randomWeights }));
      else printInspection(json);
    } else {
      const maxNewTokens = integer(flags, 'max-new-tokens', 1, MAX_NEW_TOKENS);
      if (maxNewTokens === undefined) throw new UsageError('--max-new-tokens N is required');
      const promptTokens = engine.tokenize(text).length;
      const { nCtx } = engine.summary;
      if (promptTokens >= nCtx) {
        throw new GlassboxError('text-too-long', `the text is ${promptTokens} tokens and the model's context holds ${nCtx}: there is no room to generate; shorten the text`);
      }
      const options = {
        maxNewTokens,
        temperature: decimal(flags, 'temperature', (n) => n === 0 || (n >= MIN_TEMPERATURE && n <= MAX_TEMPERATURE), `0 (greedy) or from ${MIN_TEMPERATURE} to ${MAX_TEMPERATURE}`),
        topK,
        topP: decimal(flags, 'top-p', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
        seed: integer(flags, 'seed', 0, 2 ** 32 - 1),
      };
      const generation = steering ? await engine.generateSteered(text, options, steering) : await engine.generate(text, options);
      if (flags.json) console.log(JSON.stringify({ model: engine.summary, backend: engine.backend, ...generation }));
      else process.stdout.write(generation.text + '\n');
      if (generation.stop === 'context-full') {
        console.error(`glassbox: stopped after ${generation.tokens.length} of ${maxNewTokens} tokens: the model's context (${nCtx} tokens) is full`);
      }
    }
  });
}

/** --ablate SPEC (repeatable) and --ablation zero|mean, checked before any model loads. */
function ablationOf(flags: Flags): AblationSetting {
  const ablations = (flags.ablate ?? []).map((spec) => {
    const parsed = parseAblation(spec);
    if (typeof parsed === 'string') throw new UsageError(`--ablate ${parsed}`);
    return parsed;
  });
  const mode = flags.ablation ?? 'zero';
  if (mode !== 'zero' && mode !== 'mean') throw new UsageError(`--ablation must be zero or mean, got ${JSON.stringify(mode)}`);
  if (flags.ablation !== undefined && ablations.length === 0) throw new UsageError('--ablation says how to ablate what --ablate names; give --ablate too');
  return { ablations, mode };
}

/** --steer-add, --steer-sub and --steer-layer together (and --steer-scale, 1 by default), or none of them. */
function steeringOf(flags: Flags): Steering | null {
  const given = (['steer-add', 'steer-sub', 'steer-layer', 'steer-scale'] as const).filter((f) => flags[f] !== undefined);
  if (given.length === 0) return null;
  if (flags['steer-add'] === undefined || flags['steer-sub'] === undefined || flags['steer-layer'] === undefined) {
    throw new UsageError('steering needs --steer-add TEXT, --steer-sub TEXT and --steer-layer L together');
  }
  return {
    add: flags['steer-add'],
    subtract: flags['steer-sub'],
    layer: integer(flags, 'steer-layer', 0, 255)!,
    scale: decimal(flags, 'steer-scale', () => true, 'a number') ?? 1,
  };
}

/** --target (required) and --versus as single tokens (the engine says how a text splits when it is not). */
function metricOf(engine: Gpt2Engine, flags: Flags): { targetId: number; versusId: number | null } {
  if (flags.target === undefined) throw new UsageError('--target TOKEN is required');
  return { targetId: engine.targetTokenId(flags.target), versusId: flags.versus === undefined ? null : engine.targetTokenId(flags.versus) };
}

/** `glassbox attribute`: direct logit attribution at a position (engine/experiments/attribution.ts states the definition). */
async function attribute(engine: Gpt2Engine, text: string, flags: Flags): Promise<void> {
  const tokens = engine.tokenize(text);
  const metric = metricOf(engine, flags);
  const position = integer(flags, 'position', 0, tokens.length - 1) ?? tokens.length - 1;
  const experiments = await engine.experiments();
  const { attribution, logitDiff } = await experiments.attribute(tokens.map((t) => t.id), position, metric);
  const token = (id: number) => engine.tokenPiece(id);
  const json = {
    position,
    target: token(metric.targetId),
    versus: metric.versusId === null ? null : token(metric.versusId),
    logitDiff,
    components: attribution.components,
    neurons: attribution.neurons,
  };
  if (flags.json) return console.log(JSON.stringify(json));
  const what = `${shown(json.target)}${json.versus ? ` − ${shown(json.versus)}` : ''}`;
  console.log(`logit ${what} at position ${position} (after ${shown(tokens[position])}): ${logitDiff.toFixed(3)}, of which:`);
  const ranked = [...attribution.components].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  for (const c of ranked.slice(0, 12)) console.log(`${`${c.value >= 0 ? '+' : ''}${c.value.toFixed(3)}`.padStart(9)}  ${c.hook}${c.head === undefined ? '' : ` head ${c.head}`}`);
}

/** `glassbox routes`: information-flow routes of the prediction at the last position (engine/experiments/routes.ts). */
async function routes(engine: Gpt2Engine, text: string, flags: Flags): Promise<void> {
  const threshold = decimal(flags, 'threshold', (n) => n >= 0 && n <= 1, 'a number from 0 to 1') ?? DEFAULT_ROUTE_THRESHOLD;
  const tokens = engine.tokenize(text);
  const experiments = await engine.experiments();
  const ids = tokens.map((t) => t.id);
  const importances = flags.json ? await experiments.routes(ids, true) : await experiments.routes(ids);
  const result = { ...importances, edges: routeEdges(importances, tokens.length - 1, threshold) };
  if (flags.json) return console.log(JSON.stringify(result));
  console.log(`route of the prediction after ${shown(tokens.at(-1)!)} (edges of weight ≥ ${threshold}):`);
  for (const e of result.edges) {
    const what = e.kind === 'mlp' ? `MLP at ${shown(tokens[e.to])}` : `${shown(tokens[e.from])} → ${shown(tokens[e.to])}`;
    console.log(`layer ${String(e.layer).padStart(2)}  ${e.kind.padEnd(9)} ${e.weight.toFixed(3)}  ${what}`);
  }
}

/** `glassbox patch`: an activation-patching sweep (engine/experiments/experiments.ts states the definition). */
async function patch(flags: Flags, device: DeviceChoice): Promise<void> {
  const { clean, corrupt } = flags;
  if (clean === undefined || corrupt === undefined) throw new UsageError('--clean TEXT and --corrupt TEXT are required');
  const hook = flags.hook as PatchHook | undefined;
  if (hook === undefined || !PATCH_HOOKS.includes(hook)) throw new UsageError(`--hook must be one of ${PATCH_HOOKS.join(', ')}${flags.hook === undefined ? '' : `, got ${JSON.stringify(flags.hook)}`}`);
  await withEngine(flags, device, async (engine) => {
    const metric = metricOf(engine, flags);
    const ids = (text: string) => engine.tokenize(text).map((t) => t.id);
    const experiments = await engine.experiments();
    const result = await experiments.patch(ids(clean), ids(corrupt), hook, metric);
    if (flags.json) return console.log(JSON.stringify({ clean: result.clean, corrupt: result.corrupt, hook, results: result.results }));
    console.log(`metric: clean ${result.clean.toFixed(3)}, corrupt ${result.corrupt.toFixed(3)}; patched ${hook}, normalised (patched − corrupt) / (clean − corrupt):`);
    const span = result.clean - result.corrupt;
    result.results.forEach((row, l) => console.log(`layer ${String(l).padStart(2)}  ${row.map((v) => (span === 0 ? 0 : (v - result.corrupt) / span).toFixed(2).padStart(6)).join(' ')}`));
  });
}

/** `glassbox heads`: the head catalogue on one seeded probe (the views average several). */
async function heads(flags: Flags, device: DeviceChoice): Promise<void> {
  const seed = integer(flags, 'seed', 0, 2 ** 32 - 1) ?? 0;
  const asked = integer(flags, 'repeat-length', 1, MAX_REPEAT_LENGTH);
  await withEngine(flags, device, async (engine) => {
    const repeatLength = asked ?? Math.min(DEFAULT_REPEAT_LENGTH, Math.floor((engine.summary.nCtx - 1) / 2));
    const { probe, scores } = await engine.scoreHeads(repeatLength, seed);
    if (flags.json) return console.log(JSON.stringify({ tokens: probe.tokens, repeatStart: probe.repeatStart, repeatLength: probe.repeatLength, scores }));
    console.log(`${engine.summary.name}: ${probe.tokens.length}-token probe (end-of-text, ${repeatLength} random tokens, repeated; seed ${seed})`);
    for (const kind of HEAD_SCORE_KINDS) {
      const ranked = scores[kind].flatMap((row, l) => row.map((score, h) => ({ l, h, score }))).sort((a, b) => b.score - a.score);
      console.log(`${kind.padEnd(15)} ${ranked.slice(0, 3).map(({ l, h, score }) => `L${l}H${h} ${score.toFixed(2)}`).join('   ')}`);
    }
  });
}

/** Runs `work` on the model --model names, disposing of it after, whatever happens. */
async function withEngine(flags: Flags, device: DeviceChoice, work: (engine: Gpt2Engine) => Promise<void>): Promise<void> {
  const engine = await Gpt2Engine.load({ modelDir: flags.model!, cacheDir: cacheDirFromFlag(flags['cache-dir']), device });
  try {
    await work(engine);
  } finally {
    await engine.dispose();
  }
}

/** A token in the printed summaries: quoted, or by its bytes when it holds part of a character. */
function shown(piece: TokenPiece): string {
  return JSON.stringify(pieceText(piece));
}

function printInspection(json: ReturnType<typeof inspectionToJson>): void {
  console.log(`${json.model.name} on ${json.backend}: ${json.tokens.length} tokens`);
  json.tokens.forEach((token, t) => {
    const next = json.logits[t];
    const guesses = next.topk.slice(0, 3).map((e) => `${shown(e)} ${(100 * e.prob).toFixed(1)}%`).join(', ');
    console.log(`${String(token.id).padStart(6)} ${shown(token).padEnd(16)} → ${guesses}`);
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
