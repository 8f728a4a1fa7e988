// Class 6 — non-finite or impossible models. A NaN or an infinity in any weight, a layer-norm epsilon that is
// not a positive number, shapes no GPT-2 has: refused before anything runs, naming the tensor or the field,
// and quickly (a config.json claiming a billion layers is not allocated first). Safetensors files whose
// tensors overlap are refused too. The weights are checked once per cached graph, not on every run.

import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readSafetensorsIndex } from '../../engine/models/safetensors';
import { glassbox, inspectArgs, modelCopy, oneLine, workFolder, editJson } from './fault-kit';

const editConfig = (dir: string, edit: (json: Record<string, unknown>) => void): void => editJson(dir, 'config.json', edit);
const work = workFolder('impossible');
let copies = 0;
const copy = (edit: (dir: string) => void) => modelCopy(join(work, `model-${copies++}`), edit);

/** Writes `value` as float32 at element `index` of tensor `name`, in place. */
function poison(dir: string, name: string, index: number, value: number): void {
  const path = join(dir, 'model.safetensors');
  const entry = readSafetensorsIndex(path).tensors.get(name);
  assert.ok(entry, name);
  const bytes = Buffer.alloc(4);
  bytes.writeFloatLE(value);
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, 4, entry.offset + 4 * index);
  closeSync(fd);
}


describe('weights that are not finite numbers', { concurrency: true }, () => {
  const cases: [string, number, number, string][] = [
    ['wte.weight', 12345, NaN, 'NaN'],
    ['h.1.mlp.c_proj.weight', 7, Infinity, 'Infinity'],
    ['ln_f.bias', 0, -Infinity, '-Infinity'],
    ['h.0.attn.c_attn.bias', 95, NaN, 'NaN'],
  ];
  for (const [tensor, index, value, shown] of cases) {
    test(`${shown} in ${tensor}`, async () => {
      const run = await glassbox(inspectArgs(copy((d) => poison(d, tensor, index, value)), join(work, 'cache-nan')));
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(oneLine(run), new RegExp(`tensor "${tensor.replace(/\./g, '\\.')}" holds ${shown.replace('-', '-')} at index ${index}`));
    });
  }
});

describe('config.json fields no GPT-2 can have', { concurrency: true }, () => {
  const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ['layer_norm_epsilon 0', (c) => void (c.layer_norm_epsilon = 0), /"layer_norm_epsilon" is 0; it must be a positive number/],
    ['layer_norm_epsilon -1e-5', (c) => void (c.layer_norm_epsilon = -1e-5), /"layer_norm_epsilon" is -0\.00001; it must be a positive number/],
    ['layer_norm_epsilon "tiny"', (c) => void (c.layer_norm_epsilon = 'tiny'), /"layer_norm_epsilon" is "tiny"; it must be a positive number/],
    ['n_layer 1e9', (c) => void (c.n_layer = 1e9), /"n_layer" is 1000000000; no GPT-2 has more than 256/],
    ['n_embd 2^40', (c) => void (c.n_embd = 2 ** 40), /"n_embd" is 1099511627776; no GPT-2 has more than 65536/],
    ['n_positions 1.5', (c) => void (c.n_positions = 1.5), /"n_positions" is 1\.5; it must be a positive integer/],
    ['vocab_size "50257"', (c) => void (c.vocab_size = '50257'), /"vocab_size" is "50257"; it must be a positive integer/],
  ];
  for (const [what, edit, says] of cases) {
    test(what, async () => {
      const run = await glassbox(inspectArgs(copy((d) => editConfig(d, edit)), join(work, 'cache-config')), { timeoutMs: 20_000 });
      assert.equal(run.code, 1);
      assert.match(oneLine(run), says);
      assert.ok(run.seconds < 15, `refused in ${run.seconds.toFixed(1)} s`);
    });
  }
});

test('a safetensors file whose tensors overlap is refused, naming both', async () => {
  const dir = copy((d) => {
    const path = join(d, 'model.safetensors');
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    // ln_f.bias pointed at the start of ln_f.weight's bytes (same size, so only the overlap is wrong).
    header['ln_f.bias'].data_offsets = [...header['ln_f.weight'].data_offsets];
    let json = JSON.stringify(header);
    json += ' '.repeat(headerLength - Buffer.byteLength(json));
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(json), bytes.subarray(8 + headerLength)]));
  });
  const run = await glassbox(inspectArgs(dir, join(work, 'cache-overlap')));
  assert.equal(run.code, 1);
  assert.match(oneLine(run), /tensors ln_f\.(weight|bias) and ln_f\.(weight|bias) overlap/);
});
