// The derived graph folders in the cache: one per model and graph kind, rebuilt when the weights change,
// and a rebuilt graph retires the folder it replaces (which may hold a copy of the weights).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import { prepareModel } from '../../engine/models/prepared-model';
import { generatedModel, SHAPES } from './generated-models';

const root = mkdtempSync(join(tmpdir(), 'glassbox-prepared-'));
after(() => rmSync(root, { recursive: true, force: true }));

function copyOf(name: string): string {
  const dir = join(root, name);
  cpSync(generatedModel(SHAPES.small), dir, { recursive: true });
  return dir;
}

test('a graph is built once and found again; the hooked and plain graphs of a model live side by side', () => {
  const cache = join(root, 'cache-a');
  const model = copyOf('model-a');
  const first = prepareModel(model, cache);
  // A user's weights are copied (or reflinked), never hard-linked: the cache must not share the user's file.
  assert.equal(first.weightsPlacement, 'copy');
  assert.equal(prepareModel(model, cache).weightsPlacement, 'cached');
  const plain = prepareModel(model, cache, model, false);
  assert.notEqual(plain.runDir, first.runDir);
  assert.ok(existsSync(join(first.runDir, 'onnx', 'model.onnx')) && existsSync(join(plain.runDir, 'onnx', 'model.onnx')));
});

test('changed weights get a new graph, which retires the old one but not other models\' graphs nor what Glassbox did not make', () => {
  const cache = join(root, 'cache-b');
  const model = copyOf('model-b');
  const other = copyOf('model-c');
  const old = prepareModel(model, cache);
  const kept = prepareModel(other, cache);
  // A folder Glassbox cannot prove it made, and one being built by another process.
  mkdirSync(join(cache, 'graphs', 'ancient', 'onnx'), { recursive: true });
  writeFileSync(join(cache, 'graphs', 'ancient', 'onnx', 'model.onnx'), '');
  mkdirSync(join(cache, 'graphs', 'abc.building-999'));

  utimesSync(join(model, 'model.safetensors'), new Date(), new Date(Date.now() + 5000));
  const rebuilt = prepareModel(model, cache);
  assert.notEqual(rebuilt.runDir, old.runDir);
  assert.equal(rebuilt.weightsPlacement === 'cached', false);
  assert.equal(existsSync(old.runDir), false, 'the superseded graph is gone');
  assert.ok(existsSync(kept.runDir), "another model's graph stays");
  assert.deepEqual(readdirSync(join(cache, 'graphs')).sort(), [rebuilt.runDir, kept.runDir, 'ancient', 'abc.building-999'].map((d) => d.split('/').at(-1)!).sort());
});

test('a folder without tokenizer_config.json tokenizes as one with it', async () => {
  const complete = generatedModel(SHAPES.small);
  const bare = copyOf('model-d');
  rmSync(join(bare, 'tokenizer_config.json'));
  const text = 'The quick brown fox <|endoftext|> jumps over the lazy dog.';
  const idsOf = async (dir: string) => {
    const engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: join(root, 'cache-d'), device: 'cpu' });
    try {
      return engine.tokenize(text).map((t) => t.id);
    } finally {
      await engine.dispose();
    }
  };
  const ids = await idsOf(bare);
  assert.deepEqual(ids, await idsOf(complete));
  assert.ok(ids.includes(50256), 'the end-of-text token is one token, as tokenizer_config.json declares it');
});
