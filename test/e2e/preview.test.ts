// The panel's page on its own in Chromium, answered by fixtures (webview/dev/preview-checks.ts): every tab's
// exports, the tokens painted first with the other tabs pending and Cancel going back, typed lens targets,
// byte tokens, keyboard use, view state surviving a reload, the lens grid's DOM size at 512 positions. The
// checks assert as they go; this runs them as part of the suite so that none of it is left to a manual run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { findChromium } from './vscode-session';

const root = resolve(import.meta.dirname, '..', '..');
const noChromium = findChromium() ? false : 'chromium is not installed and could not be installed (run scripts/system-deps.sh as root)';

test('the panel page passes its preview checks in Chromium', { skip: noChromium, timeout: 300_000 }, () => {
  const run = spawnSync('npx', ['tsx', join(root, 'webview', 'dev', 'preview-checks.ts')], { cwd: root, encoding: 'utf8', timeout: 280_000 });
  assert.equal(run.status, 0, `preview checks failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
  assert.match(run.stdout, /preview checks passed/);
});
