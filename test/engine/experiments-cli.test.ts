// The causal experiments from the command line: `attribute`, `patch` and `inspect --ablate` print the JSON
// the issue defines (the numbers themselves are held to the reference in interventions.test.ts; here the
// document's names, indexing and identities).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generatedModel, referenceModel, SHAPES } from './generated-models';
import { referenceForward } from './reference-gpt2';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const MODEL = generatedModel(SHAPES.small);
const work = mkdtempSync(join(tmpdir(), 'glassbox-experiments-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function glassbox(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--cache-dir', join(work, 'cache')], { maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

describe('attribute --json', () => {
  test('position, target, versus, logitDiff, components in order, neurons per layer; the components sum to logitDiff', async () => {
    const run = await glassbox('attribute', '--model', MODEL, '--text', 'The capital of France is', '--target', ' Paris', '--versus', ' London', '--json');
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(json), ['position', 'target', 'versus', 'logitDiff', 'components', 'neurons']);
    assert.equal(json.position, 4, 'the last position by default');
    assert.deepEqual(json.target, { id: 6342, text: ' Paris' });
    assert.deepEqual(json.versus, { id: 3576, text: ' London' });
    const hooks = json.components.map((c: { hook: string; head?: number }) => (c.head === undefined ? c.hook : `${c.hook}:${c.head}`));
    assert.deepEqual(hooks.slice(0, 2), ['hook_embed', 'hook_pos_embed']);
    assert.deepEqual(hooks.slice(2, 8), ['blocks.0.attn.hook_result:0', 'blocks.0.attn.hook_result:1', 'blocks.0.attn.hook_result:2', 'blocks.0.attn.hook_result:3', 'blocks.0.attn.b_O', 'blocks.0.hook_mlp_out']);
    assert.equal(hooks.at(-1), 'ln_final.b');
    const sum = json.components.reduce((a: number, c: { value: number }) => a + c.value, 0);
    assert.ok(Math.abs(sum - json.logitDiff) < 1e-3, `${sum} vs ${json.logitDiff}`);
    // logitDiff is the model's: the reference's logits at the last position.
    const { config, weights } = referenceModel(MODEL);
    const logits = referenceForward(config, weights, [464, 3139, 286, 4881, 318]).logits[4];
    assert.ok(Math.abs(json.logitDiff - (logits[6342] - logits[3576])) < 1e-3);
    assert.deepEqual(json.neurons.map((n: { layer: number }) => n.layer), [0, 1]);
  });

  test('--position picks the position; without --versus, versus is null and the metric is logit(A)', async () => {
    const run = await glassbox('attribute', '--model', MODEL, '--text', 'The capital of France is', '--target', ' the', '--position', '1', '--json');
    const json = JSON.parse(run.stdout);
    assert.equal(json.position, 1);
    assert.equal(json.versus, null);
    const { config, weights } = referenceModel(MODEL);
    assert.ok(Math.abs(json.logitDiff - referenceForward(config, weights, [464, 3139, 286, 4881, 318]).logits[1][262]) < 1e-3);
  });

  test('a target of several tokens is refused, suggesting the split', async () => {
    const run = await glassbox('attribute', '--model', MODEL, '--text', 'Hello', '--target', ' Parisian');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /A target must be a single token; " Parisian" is 2 tokens \(" Paris" \+ "ian"\)/);
  });
});

describe('patch --json', () => {
  test('clean, corrupt, hook, results[layer][position]; the differing position at layer 0 restores the clean metric', async () => {
    const run = await glassbox('patch', '--model', MODEL, '--clean', 'The capital of France is', '--corrupt', 'The capital of Italy is', '--target', ' Paris', '--versus', ' Rome', '--hook', 'hook_resid_pre', '--json');
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(json), ['clean', 'corrupt', 'hook', 'results']);
    assert.equal(json.hook, 'hook_resid_pre');
    assert.deepEqual(json.results.map((r: number[]) => r.length), [5, 5]);
    assert.ok(Math.abs(json.results[0][3] - json.clean) < 1e-3);
    assert.ok(Math.abs(json.results[0][0] - json.corrupt) < 1e-3, 'a position that is the same in both changes nothing');
  });

  test('attn.hook_z gives results[layer][head]', async () => {
    const run = await glassbox('patch', '--model', MODEL, '--clean', 'The capital of France is', '--corrupt', 'The capital of Italy is', '--target', ' Paris', '--hook', 'attn.hook_z', '--json');
    assert.deepEqual(JSON.parse(run.stdout).results.map((r: number[]) => r.length), [4, 4]);
  });

  test('texts of different token counts are refused with both counts', async () => {
    const run = await glassbox('patch', '--model', MODEL, '--clean', 'The capital of France is', '--corrupt', 'The capital of the Netherlands is', '--target', ' Paris', '--hook', 'hook_mlp_out');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /The clean text is 5 tokens and the corrupt text 6/);
  });

  test('an unknown hook is a usage error naming the four', async () => {
    const run = await glassbox('patch', '--model', MODEL, '--clean', 'a', '--corrupt', 'b', '--target', ' the', '--hook', 'hook_z');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--hook must be one of hook_resid_pre, hook_attn_out, hook_mlp_out, attn\.hook_z, got "hook_z"/);
  });
});

describe('inspect --ablate', () => {
  test('the usual inspect JSON, of the ablated model: an empty change would equal the plain one, this one does not', async () => {
    const plain = JSON.parse((await glassbox('inspect', '--model', MODEL, '--text', 'Hello there, friend', '--json')).stdout);
    const ablated = await glassbox('inspect', '--model', MODEL, '--text', 'Hello there, friend', '--json', '--ablate', 'blocks.0.hook_mlp_out', '--ablate', 'blocks.1.attn.hook_z:2', '--ablation', 'mean');
    assert.equal(ablated.code, 0, ablated.stderr);
    const json = JSON.parse(ablated.stdout);
    assert.deepEqual(Object.keys(json), Object.keys(plain));
    assert.deepEqual(json.tokens, plain.tokens);
    assert.notDeepEqual(json.logits, plain.logits);
  });

  test('a bad spec, a unit past the model, and --ablation alone are refused', async () => {
    const bad = await glassbox('inspect', '--model', MODEL, '--text', 'Hi', '--ablate', 'blocks.0.hook_q');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"blocks\.0\.hook_q" is not an ablation/);
    const past = await glassbox('inspect', '--model', MODEL, '--text', 'Hi', '--ablate', 'blocks.0.attn.hook_z:4');
    assert.equal(past.code, 1);
    assert.match(past.stderr, /blocks\.0\.attn\.hook_z:4: the model has heads 0 to 3/);
    const alone = await glassbox('inspect', '--model', MODEL, '--text', 'Hi', '--ablation', 'mean');
    assert.equal(alone.code, 2);
  });
});

describe('generate --steer-*', () => {
  test('the output as without steering, of the steered model; scale 0 prints what plain generation prints', async () => {
    const base = ['generate', '--model', MODEL, '--text', 'I think that you are', '--max-new-tokens', '6', '--json'];
    const plain = await glassbox(...base);
    const zero = await glassbox(...base, '--steer-add', 'Love', '--steer-sub', 'Hate', '--steer-layer', '1', '--steer-scale', '0');
    const steered = await glassbox(...base, '--steer-add', 'I love you so much', '--steer-sub', 'I hate', '--steer-layer', '0', '--steer-scale', '10');
    for (const run of [plain, zero, steered]) assert.equal(run.code, 0, run.stderr);
    const tokens = (run: { stdout: string }) => (JSON.parse(run.stdout) as { tokens: { id: number }[] }).tokens.map((t) => t.id);
    assert.deepEqual(Object.keys(JSON.parse(steered.stdout)), Object.keys(JSON.parse(plain.stdout)));
    assert.deepEqual(tokens(zero), tokens(plain));
    assert.notDeepEqual(tokens(steered), tokens(plain));
  });

  test('a steering needs its add text, subtract text and layer together', async () => {
    const run = await glassbox('generate', '--model', MODEL, '--text', 'Hi', '--max-new-tokens', '2', '--steer-add', 'Love');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /steering needs --steer-add TEXT, --steer-sub TEXT and --steer-layer L together/);
  });
});
