// Class 4 — silent wrong answers from a damaged cache. Every cached graph carries a manifest of its files
// (sizes; SHA-256 of all but the weights, whose size and modification time are checked instead); a folder that
// no longer matches it is rebuilt before use, so the numbers are the ones a fresh build gives.

import assert from 'node:assert/strict';
import { appendFileSync, openSync, readdirSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fingerprint, glassbox, inspectArgs, modelCopy, workFolder } from './fault-kit';

const work = workFolder('damaged-cache');
const model = modelCopy(join(work, 'model'));
const TEXT = 'The cache must never lie';

/** Overwrites `length` bytes in the middle of a file, in place. */
function scribble(path: string, length = 64): void {
  const fd = openSync(path, 'r+');
  try {
    const size = readFileSync(path).length;
    writeSync(fd, Buffer.alloc(length, 0x5a), 0, length, Math.floor(size / 2));
  } finally {
    closeSync(fd);
  }
}

const DAMAGE: { what: string; damage: (graph: string) => void }[] = [
  { what: 'the weights truncated', damage: (g) => truncateSync(join(g, 'onnx', 'model.safetensors'), 4096) },
  { what: 'the weights overwritten in the middle', damage: (g) => scribble(join(g, 'onnx', 'model.safetensors')) },
  { what: 'the weights grown by a tail', damage: (g) => appendFileSync(join(g, 'onnx', 'model.safetensors'), Buffer.alloc(16)) },
  { what: 'the graph overwritten in the middle', damage: (g) => scribble(join(g, 'onnx', 'model.onnx'), 16) },
  { what: 'the graph emptied', damage: (g) => writeFileSync(join(g, 'onnx', 'model.onnx'), '') },
  { what: 'tokenizer.json deleted', damage: (g) => rmSync(join(g, 'tokenizer.json')) },
  { what: 'config.json edited', damage: (g) => writeFileSync(join(g, 'config.json'), readFileSync(join(g, 'config.json'), 'utf8').replace('"n_head": 4', '"n_head": 2')) },
];

/** Without a manifest Glassbox cannot prove the folder is its own: it is left alone and the graph built beside it. */
const UNPROVABLE: { what: string; damage: (graph: string) => void }[] = [
  { what: 'the manifest deleted', damage: (g) => rmSync(join(g, 'glassbox-graph.json')) },
  { what: 'the manifest garbled', damage: (g) => writeFileSync(join(g, 'glassbox-graph.json'), '{"glassbox":') },
  { what: 'the manifest deleted and a user file added', damage: (g) => (rmSync(join(g, 'glassbox-graph.json')), writeFileSync(join(g, 'my-own-file.txt'), 'user data')) },
];

describe('a damaged graph folder is rebuilt, and the answer is the fresh one', () => {
  let fresh: string;
  before(async () => {
    const run = await glassbox(inspectArgs(model, join(work, 'cache-fresh'), TEXT));
    assert.equal(run.code, 0, run.stderr);
    fresh = run.stdout;
  });

  for (const [i, { what, damage }] of DAMAGE.entries()) {
    test(what, async () => {
      const cache = join(work, `cache-${i}`);
      assert.equal((await glassbox(inspectArgs(model, cache, TEXT))).code, 0);
      const graphs = join(cache, 'graphs');
      const [graph] = readdirSync(graphs);
      damage(join(graphs, graph));
      const run = await glassbox(inspectArgs(model, cache, TEXT));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, fresh, 'the same numbers as a fresh build');
      assert.deepEqual(readdirSync(graphs), [graph], 'rebuilt in place, nothing left over');
    });
  }

  for (const [i, { what, damage }] of UNPROVABLE.entries()) {
    test(`${what}: left alone, the graph built beside it`, async () => {
      const cache = join(work, `cache-unprovable-${i}`);
      assert.equal((await glassbox(inspectArgs(model, cache, TEXT))).code, 0);
      const graphs = join(cache, 'graphs');
      const [graph] = readdirSync(graphs);
      damage(join(graphs, graph));
      const left = fingerprint(join(graphs, graph));
      const run = await glassbox(inspectArgs(model, cache, TEXT));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, fresh, 'the same numbers as a fresh build');
      assert.deepEqual(fingerprint(join(graphs, graph)), left, 'the folder it cannot prove is its own is untouched');
      assert.deepEqual(readdirSync(graphs).sort(), [graph, `${graph}-1`]);
      // And the graph beside it is found again next time.
      assert.equal((await glassbox(inspectArgs(model, cache, TEXT))).stdout, fresh);
      assert.equal(readdirSync(graphs).length, 2);
    });
  }
});
