// Class 2 — writing into the current folder, and class 10's spinning on an impossible cache. An empty
// --cache-dir, GLASSBOX_CACHE or XDG_CACHE_HOME means "not set": the default cache, never the folder the
// command was started in. A relative path is resolved once and named absolutely; /proc is refused at once.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultCacheDir, cacheDirFromFlag } from '../../engine/models/cache-dir';
import { MODEL, glassbox, oneLine, workFolder } from './fault-kit';

const work = workFolder('cache-location');

describe('empty means unset', () => {
  const home = join(work, 'home');
  const variants: { name: string; flag?: string; env: NodeJS.ProcessEnv }[] = [
    { name: "--cache-dir ''", flag: '', env: {} },
    { name: "--cache-dir '  '", flag: '  ', env: {} },
    { name: "GLASSBOX_CACHE=''", env: { GLASSBOX_CACHE: '' } },
    { name: "XDG_CACHE_HOME=''", env: { XDG_CACHE_HOME: '' } },
    { name: "GLASSBOX_CACHE='' and XDG_CACHE_HOME=''", env: { GLASSBOX_CACHE: '', XDG_CACHE_HOME: '' } },
    { name: 'a relative XDG_CACHE_HOME (invalid per the XDG spec)', env: { XDG_CACHE_HOME: 'relative' } },
  ];
  for (const variant of variants) {
    test(`${variant.name}: the default cache under HOME, nothing in the working folder`, async () => {
      const cwd = join(work, `cwd-${variants.indexOf(variant)}`);
      mkdirSync(cwd, { recursive: true });
      const env = { ...process.env, HOME: home, GLASSBOX_CACHE: undefined, XDG_CACHE_HOME: undefined, ...variant.env };
      const args = ['inspect', '--model', MODEL, '--text', 'Hi', ...(variant.flag === undefined ? [] : ['--cache-dir', variant.flag])];
      const run = await glassbox(args, { cwd, env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(readdirSync(cwd), [], 'the working folder stays empty');
      assert.ok(existsSync(join(home, '.cache', 'glassbox', 'graphs')), 'the graph went to the default cache');
    });
  }

  test('the same rules, as functions', () => {
    const env = { HOME: home };
    assert.equal(defaultCacheDir({ ...env, GLASSBOX_CACHE: '' }), defaultCacheDir({ ...env, XDG_CACHE_HOME: '' }));
    // A folder not yet made (a fixed /tmp path could be anything on a machine, a file even).
    const unmade = join(home, 'not-yet');
    assert.equal(cacheDirFromFlag('', { GLASSBOX_CACHE: unmade }), unmade);
    assert.equal(cacheDirFromFlag('rel', {}), join(process.cwd(), 'rel'), 'a relative flag is resolved once, absolutely');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }), '/var/cache/u/glassbox');
  });
});

describe('a cache that cannot be one', () => {
  test('--cache-dir /proc/x is refused at once, naming it', async () => {
    const run = await glassbox(['inspect', '--model', MODEL, '--text', 'Hi', '--cache-dir', '/proc/x'], { timeoutMs: 15_000 });
    assert.equal(run.code, 1);
    assert.match(oneLine(run), /--cache-dir is \/proc\/x, in \/proc, which cannot hold a cache/);
  });

  test('GLASSBOX_CACHE naming a file is refused, naming it', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    const run = await glassbox(['inspect', '--model', MODEL, '--text', 'Hi'], { env: { ...process.env, GLASSBOX_CACHE: file } });
    assert.equal(run.code, 1);
    assert.match(oneLine(run), /GLASSBOX_CACHE is .*a-file, which is a file, not a folder/);
  });

  test('a relative --cache-dir lands where the messages say: resolved against the working folder', async () => {
    const cwd = join(work, 'relative-cwd');
    mkdirSync(cwd);
    const run = await glassbox(['inspect', '--model', MODEL, '--text', 'Hi', '--cache-dir', 'my-cache'], { cwd });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(cwd, 'my-cache', 'graphs')));
  });
});
