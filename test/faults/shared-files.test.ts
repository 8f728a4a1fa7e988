// Class 3 — the graph cache sharing the user's model file. The weights beside a cached graph are a copy (or a
// reflink) of a user's model.safetensors, never a hard link: writing the cache's file must leave the user's
// model as it was, and building a graph never opens a user's file for writing.

import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareModel } from '../../engine/models/prepared-model';
import { fingerprint, glassbox, inspectArgs, modelCopy, workFolder } from './fault-kit';

const work = workFolder('shared-files');

test("the cached weights are not the user's file: other inode, and writing them leaves the model intact", async () => {
  const model = modelCopy(join(work, 'model'));
  const cache = join(work, 'cache');
  const before = fingerprint(model);
  const run = await glassbox(inspectArgs(model, cache));
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(fingerprint(model), before, "building a graph changed nothing in the user's folder");

  const [graph] = readdirSync(join(cache, 'graphs'));
  const cached = join(cache, 'graphs', graph, 'onnx', 'model.safetensors');
  assert.notEqual(statSync(cached).ino, statSync(join(model, 'model.safetensors')).ino);
  assert.equal(statSync(join(model, 'model.safetensors')).nlink, 1, 'no second name for the user file');
  writeFileSync(cached, 'overwritten');
  assert.deepEqual(fingerprint(model), before, "writing the cache's copy does not reach the user's model");
});

test("weights Glassbox downloaded into its own cache may be hard-linked: both names are Glassbox's", () => {
  const cache = join(work, 'cache-own');
  const model = modelCopy(join(cache, 'models', 'downloaded'));
  const prepared = prepareModel(model, cache);
  assert.equal(prepared.weightsPlacement, 'hard link');
});
