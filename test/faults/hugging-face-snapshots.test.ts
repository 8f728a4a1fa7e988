// Class 5 — Hugging Face cache snapshots. In `models--org--name/snapshots/<rev>/` every file is a relative
// symlink into `../../blobs/`. Glassbox follows such links, as long as they stay inside the `models--…`
// folder, and loads the model as if its files were there; the cache is left as it was.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fingerprint, glassbox, inspectArgs, MODEL, modelCopy, oneLine, workFolder } from './fault-kit';

const work = workFolder('hf-snapshot');

/** A Hugging Face cache of the generated model: blobs named by (fake) hashes, a snapshot of relative links. */
function huggingFaceCache(root: string): string {
  const repo = join(root, 'hub', 'models--glassbox--tiny-gpt2');
  const blobs = join(repo, 'blobs');
  const snapshot = join(repo, 'snapshots', '0123abcd');
  mkdirSync(snapshot, { recursive: true });
  const files = modelCopy(join(root, 'files'));
  mkdirSync(blobs);
  readdirSync(files).forEach((file, i) => {
    const blob = `${i.toString(16).padStart(4, '0')}deadbeef`;
    renameSync(join(files, file), join(blobs, blob));
    symlinkSync(join('..', '..', 'blobs', blob), join(snapshot, file));
  });
  return snapshot;
}

test('a snapshot of relative links loads, gives the same numbers as the plain folder, and stays as it was', async () => {
  const snapshot = huggingFaceCache(join(work, 'a'));
  const before = fingerprint(join(work, 'a', 'hub'));
  const viaLinks = await glassbox(inspectArgs(snapshot, join(work, 'cache-a'), 'Hello there'));
  assert.equal(viaLinks.code, 0, viaLinks.stderr);
  const plain = await glassbox(inspectArgs(MODEL, join(work, 'cache-plain'), 'Hello there'));
  const strip = (out: string) => ({ ...JSON.parse(out), model: undefined });
  assert.deepEqual(strip(viaLinks.stdout), strip(plain.stdout));
  assert.deepEqual(fingerprint(join(work, 'a', 'hub')), before);
  // Loaded again: the cached graph is used (and still verifies).
  assert.equal((await glassbox(inspectArgs(snapshot, join(work, 'cache-a'), 'Hello there'))).stdout, viaLinks.stdout);
});

test('a snapshot link that leaves its models-- folder is refused, naming it', async () => {
  const snapshot = huggingFaceCache(join(work, 'b'));
  const outside = modelCopy(join(work, 'b-outside'));
  rmSync(join(snapshot, 'tokenizer.json'));
  symlinkSync(join(outside, 'tokenizer.json'), join(snapshot, 'tokenizer.json'));
  const run = await glassbox(inspectArgs(snapshot, join(work, 'cache-b')));
  assert.equal(run.code, 1);
  assert.match(oneLine(run), /tokenizer\.json links to .*b-outside\/tokenizer\.json, outside the Hugging Face cache folder .*models--glassbox--tiny-gpt2/);
});

test('a dangling link is named as one', async () => {
  const snapshot = huggingFaceCache(join(work, 'c'));
  rmSync(join(snapshot, 'config.json'));
  symlinkSync(join('..', '..', 'blobs', 'missing-blob'), join(snapshot, 'config.json'));
  const run = await glassbox(inspectArgs(snapshot, join(work, 'cache-c')));
  assert.equal(run.code, 1);
  assert.match(oneLine(run), /config\.json: it links to \.\.\/\.\.\/blobs\/missing-blob, which does not exist/);
});
