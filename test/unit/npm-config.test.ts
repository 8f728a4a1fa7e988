// `npm install` on a clean clone must neither download onnxruntime-node's CUDA libraries (offline it fails,
// online it is hundreds of MB nobody uses) nor warn. The project's .npmrc does it with a key npm knows; these
// ask the npm on this machine what it makes of that file, as `npm install` will.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

function npm(...args: string[]): { stdout: string; stderr: string } {
  // Under `npm test` npm exports its config as npm_config_* variables; drop them so only the files speak.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_')));
  const result = spawnSync('npm', args, { cwd: root, env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return { stdout: result.stdout, stderr: result.stderr };
}

test("the project's npm config holds only keys npm knows (no warnings on install)", () => {
  const { stderr } = npm('config', 'ls');
  assert.doesNotMatch(stderr, /warn/i);
});

test("dependencies' install scripts do not run, so onnxruntime-node's download never starts", () => {
  assert.equal(npm('config', 'get', 'ignore-scripts').stdout.trim(), 'true');
});
