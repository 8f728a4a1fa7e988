// What the user reads when a model folder lacks files: each file named once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingFilesMessage } from '../../engine/models/model-folder';

const REQUIRED = ['config.json', 'model.safetensors', 'tokenizer.json'];

test('a folder missing some files: those it lacks, then those it has', () => {
  assert.equal(
    missingFilesMessage('/m/gpt2', REQUIRED, ['tokenizer.json']),
    '/m/gpt2 is missing tokenizer.json; a GPT-2 model folder holds it beside config.json and model.safetensors.',
  );
  assert.equal(
    missingFilesMessage('/m/gpt2', REQUIRED, ['model.safetensors', 'tokenizer.json']),
    '/m/gpt2 is missing model.safetensors and tokenizer.json; a GPT-2 model folder holds them beside config.json.',
  );
});

test('a folder with none of them is not a model folder, and says each file once', () => {
  const message = missingFilesMessage('/home/me/Downloads', REQUIRED, REQUIRED);
  assert.equal(message, '/home/me/Downloads is not a GPT-2 model folder: it holds none of config.json, model.safetensors or tokenizer.json.');
  for (const name of REQUIRED) assert.equal(message.split(name).length - 1, 1, `${name} once`);
});
