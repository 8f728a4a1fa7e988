// glassbox.model and glassbox.hubEndpoint come from the user's own settings only: a repository's
// .vscode/settings.json must not point Glassbox at a folder or a server. config.ts passes
// `getConfiguration('glassbox').inspect(key)` to userText; these are examples of what it makes of it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { userText, workspaceChoiceOf } from '../../extension/machine-settings';

test("the user's value is the one read, trimmed", () => {
  assert.equal(userText({ defaultValue: 'openai-community/gpt2', globalValue: ' ~/models/gpt2 ' }), '~/models/gpt2');
});

test('a workspace or folder value is ignored, alone or over a user value', () => {
  const cloned = { defaultValue: '', workspaceValue: 'http://attacker.example', workspaceFolderValue: '/tmp/planted-model' };
  assert.equal(userText(cloned), undefined, 'the caller falls back to its default');
  assert.equal(userText({ ...cloned, globalValue: 'https://mirror.corp' }), 'https://mirror.corp');
});

test('unset, blank or not text reads as unset; so does a setting VS Code does not know', () => {
  for (const globalValue of [undefined, '', '   ', 42, null, ['gpt2']]) assert.equal(userText({ globalValue }), undefined, JSON.stringify(globalValue));
  assert.equal(userText(undefined), undefined);
});

test('package.json scopes both settings to the machine, where a workspace cannot set them', () => {
  const properties = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).contributes.configuration.properties;
  for (const key of ['glassbox.model', 'glassbox.hubEndpoint']) assert.equal(properties[key].scope, 'machine', key);
});

test('a workspace may choose the demo model inside the extension, and nothing else', () => {
  assert.equal(workspaceChoiceOf({ workspaceValue: 'demo' }, 'demo'), 'demo');
  assert.equal(workspaceChoiceOf({ workspaceFolderValue: ' demo ' }, 'demo'), 'demo');
  for (const workspaceValue of ['/tmp/planted-model', 'attacker/gpt2', 'demo/..', undefined, 3]) assert.equal(workspaceChoiceOf({ workspaceValue }, 'demo'), undefined, String(workspaceValue));
});
