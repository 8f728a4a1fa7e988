// Class 9 — unbounded reads. Glassbox reads only regular files, each under a limit that fits the largest
// GPT-2 with room to spare, and says which file it refused: --file /dev/zero, a FIFO nobody writes to, a
// tokenizer.json that is a link to /dev/zero, a folder where a file should be. Each answer comes in seconds.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { glassbox, MODEL, modelCopy, oneLine, workFolder } from './fault-kit';

const work = workFolder('unbounded');
const cache = join(work, 'cache');
const inspectFile = (path: string) => ['inspect', '--model', MODEL, '--file', path, '--cache-dir', cache];

describe('--file', { concurrency: true }, () => {
  const fifo = join(work, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const huge = join(work, 'huge.txt');
  writeFileSync(huge, '');
  truncateSync(huge, 64 * 2 ** 20); // sparse: 64 MB of nothing on disk
  const cases: [string, string, RegExp][] = [
    ['/dev/zero', '/dev/zero', /\/dev\/zero is not a regular file \(a device\)/],
    ['a FIFO that nobody writes to', fifo, /fifo is not a regular file \(a pipe\)/],
    ['a folder', work, /is not a regular file \(a folder\)/],
    ['a 64 MB file', huge, /huge\.txt is 67108864 bytes; Glassbox reads at most 16777216/],
    ['a file that does not exist', join(work, 'nope.txt'), /nope\.txt cannot be read \(ENOENT\)/],
  ];
  for (const [what, path, says] of cases) {
    test(what, async () => {
      const run = await glassbox(inspectFile(path), { timeoutMs: 20_000 });
      assert.equal(run.code, 1, `exit ${run.code} after ${run.seconds.toFixed(1)} s`);
      assert.match(oneLine(run), says);
    });
  }
});

describe('model files that are not files', { concurrency: true }, () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['tokenizer.json linked to /dev/zero', (d) => (rmSync(join(d, 'tokenizer.json')), symlinkSync('/dev/zero', join(d, 'tokenizer.json'))), /tokenizer\.json is not a regular file \(a device\)/],
    ['config.json as a FIFO', (d) => (rmSync(join(d, 'config.json')), execFileSync('mkfifo', [join(d, 'config.json')])), /config\.json is not a regular file \(a pipe\)/],
    ['model.safetensors as a folder', (d) => (rmSync(join(d, 'model.safetensors')), mkdirSync(join(d, 'model.safetensors'))), /model\.safetensors is not a regular file \(a folder\)/],
    ['a 100 MB tokenizer.json', (d) => truncateSync(join(d, 'tokenizer.json'), 100 * 2 ** 20), /tokenizer\.json is 104857600 bytes, more than any GPT-2 tokenizer\.json/],
    ['a 20 MB config.json', (d) => truncateSync(join(d, 'config.json'), 20 * 2 ** 20), /config\.json is 20971520 bytes, more than any GPT-2 config\.json/],
  ];
  let i = 0;
  for (const [what, edit, says] of cases) {
    const dir = join(work, `model-${i++}`);
    test(what, async () => {
      const run = await glassbox(['inspect', '--model', modelCopy(dir, edit), '--text', 'Hi', '--cache-dir', cache], { timeoutMs: 20_000 });
      assert.equal(run.code, 1, `exit ${run.code} after ${run.seconds.toFixed(1)} s: ${run.stderr}`);
      assert.match(oneLine(run), says);
    });
  }
});
