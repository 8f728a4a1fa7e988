// Class 1 — data loss. Glassbox deletes only what it can prove it created: under <cache>/graphs/ that is a
// folder with its own manifest and nothing the manifest does not list, or a build folder whose marker names a
// process that is gone. Whatever a user put there, even named like Glassbox's own, survives byte for byte.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fingerprint, glassbox, inspectArgs, modelCopy, workFolder } from './fault-kit';

const work = workFolder('data-loss');

/** The user's things under graphs/: files, folders, look-alikes of Glassbox's names, a link out. */
function plantUserEntries(graphs: string, outside: string): void {
  mkdirSync(join(graphs, 'my-notes', 'deep'), { recursive: true });
  writeFileSync(join(graphs, 'my-notes', 'deep', 'thesis.txt'), 'three years of work');
  writeFileSync(join(graphs, 'README'), 'mine');
  // Named like a graph folder, and like one with a graph in it, but without Glassbox's manifest.
  mkdirSync(join(graphs, '0123456789abcdef0123', 'onnx'), { recursive: true });
  writeFileSync(join(graphs, '0123456789abcdef0123', 'onnx', 'model.onnx'), 'not a graph');
  // Named like a build folder of a process that is gone, without Glassbox's marker.
  mkdirSync(join(graphs, 'abcdefabcdefabcdef01.building-999999'));
  writeFileSync(join(graphs, 'abcdefabcdefabcdef01.building-999999', 'data.bin'), 'keep');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'precious.txt'), 'outside the cache');
  symlinkSync(outside, join(graphs, 'link-to-elsewhere'));
}

describe('a build leaves everything it did not make untouched', () => {
  test('files, folders, look-alike names and links under graphs/ survive two builds and a rebuild', async () => {
    const cache = join(work, 'cache');
    const graphs = join(cache, 'graphs');
    const outside = join(work, 'outside');
    mkdirSync(graphs, { recursive: true });
    plantUserEntries(graphs, outside);
    const before = { graphs: fingerprint(graphs), outside: fingerprint(outside) };
    const model = modelCopy(join(work, 'model'));

    const first = await glassbox(inspectArgs(model, cache));
    assert.equal(first.code, 0, first.stderr);
    // The weights change: the new graph retires Glassbox's old one, and only that.
    utimesSync(join(model, 'model.safetensors'), new Date(), new Date(Date.now() + 10_000));
    const second = await glassbox(inspectArgs(model, cache));
    assert.equal(second.code, 0, second.stderr);

    const after = fingerprint(graphs);
    for (const [path, what] of Object.entries(before.graphs)) assert.equal(after[path], what, `${path} is as the user left it`);
    assert.deepEqual(fingerprint(outside), before.outside);
    const ours = readdirSync(graphs).filter((e) => !(e in before.graphs));
    assert.equal(ours.length, 1, `one graph of Glassbox's remains: ${ours.join(', ')}`);
  });
});

describe('what a killed build left behind', () => {
  test('a build folder whose marker names a process that is gone is removed by the next run', async () => {
    const cache = join(work, 'cache-killed');
    const graphs = join(cache, 'graphs');
    // A real process that has ended: its pid is free (or, if reused, started at another time).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    const stale = join(graphs, `ffffffffffffffffffff.building-${pid}`);
    mkdirSync(join(stale, 'onnx'), { recursive: true });
    writeFileSync(join(stale, 'glassbox-building.json'), JSON.stringify({ pid, host: hostname(), start: '1' }));
    writeFileSync(join(stale, 'onnx', 'model.safetensors'), Buffer.alloc(1024));
    // One that names this very test process: still running, so it stays.
    const live = join(graphs, `eeeeeeeeeeeeeeeeeeee.building-${process.pid}`);
    mkdirSync(live, { recursive: true });
    writeFileSync(join(live, 'glassbox-building.json'), JSON.stringify({ pid: process.pid, host: hostname(), start: null }));

    const run = await glassbox(inspectArgs(modelCopy(join(work, 'model-killed')), cache));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(existsSync(stale), false, 'the dead build is gone');
    assert.equal(existsSync(live), true, 'a live build is left alone');
  });

  test('a build killed half-way leaves nothing that looks complete, and the next run builds afresh', async () => {
    const cache = join(work, 'cache-interrupted');
    const model = modelCopy(join(work, 'model-interrupted'));
    // Killed almost at once: wherever it stopped, no graph folder may pass for a finished one.
    await glassbox(inspectArgs(model, cache), { timeoutMs: 700 });
    const graphs = join(cache, 'graphs');
    const complete = existsSync(graphs) ? readdirSync(graphs).filter((e) => !e.includes('.building-') && existsSync(join(graphs, e, 'glassbox-graph.json'))) : [];
    for (const entry of complete) {
      // Anything that does look complete must really be complete: the next run uses it as it is.
      assert.ok(existsSync(join(graphs, entry, 'onnx', 'model.onnx')));
    }
    const next = await glassbox(inspectArgs(model, cache));
    assert.equal(next.code, 0, next.stderr);
    assert.ok(readdirSync(graphs).every((e) => !e.includes('.building-')), 'no build folder outlives its process');
  });
});
