// `npm start` on a machine without VS Code: code-server serves sample/ with this checkout linked in as an
// extension, offline on the trained demo model it ships, and Ctrl+C leaves nothing running or on disk.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildRepository, findChromium, openWorkbench, withFailureArtifacts, type VsCodeSession } from './vscode-session';

const root = resolve(import.meta.dirname, '..', '..');
const noChromium = findChromium()
  ? false
  : 'chromium is not installed and could not be installed (run scripts/system-deps.sh as root)';

describe('npm start with code-server', { skip: noChromium }, () => {
  // The profile npm start keeps between runs, here a test's own.
  const profileDir = mkdtempSync(join(tmpdir(), 'glassbox-start-profile-'));
  after(() => rmSync(profileDir, { recursive: true, force: true }));
  let start: ChildProcessByStdio<null, Readable, Readable> | undefined;
  let printed = '';
  let session: VsCodeSession | undefined;
  const killStart = (): void => {
    if (start?.pid !== undefined && start.exitCode === null) process.kill(start.pid, 'SIGKILL');
  };

  before(async () => {
    buildRepository();
    // GLASSBOX_EDITOR: take the code-server route even on a machine that has `code`. GLASSBOX_OFFLINE: never
    // ask the Hub (tests stay off the network); start.ts then opens the demo model.
    start = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--no-build'], {
      cwd: root,
      env: { ...process.env, GLASSBOX_EDITOR: 'code-server', GLASSBOX_OFFLINE: '1', GLASSBOX_START_PROFILE: profileDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.on('exit', killStart);
    start.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    start.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const url = await printedUrl(start, () => printed);
    session = await openWorkbench(url, { workspace: join(root, 'sample') });
  }, { timeout: 300_000 });

  after(async () => {
    await session?.close();
    killStart();
    process.off('exit', killStart);
  });

  test('serves the sample workspace with the extension loaded', { timeout: 60_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'start', async () => {
      await s.openFile('fibonacci.py');
      await s.runCommand('Glassbox: Show Log');
      await s.page.locator('.part.panel .output-view[aria-label="Glassbox - Output"]').waitFor();
      await s.screenshot('start');
    });
  });

  test('offline, it opens the trained demo model: said once when starting, and no view warns of random weights', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'start-demo-model', async () => {
      assert.match(printed, /opens its DEMO MODEL/);
      assert.match(printed, /trained by the Glassbox project on the Brown corpus/);
      assert.match(printed, /Glassbox: Select Model/);
      await s.openFile('prose.md');
      await s.page.locator('.editor-group-container').first().locator('.view-lines').click();
      // The first line of prose: the cursor's line is inspected when nothing is selected.
      await s.page.keyboard.press('Control+Home');
      await s.page.keyboard.press('ArrowDown');
      await s.page.keyboard.press('ArrowDown');
      await s.runCommand('Glassbox: Inspect Selection');
      const panel = await s.webviewFrame('Glassbox');
      await panel.locator('.gb-chip').first().waitFor({ timeout: 90_000 });
      for (const tab of ['tokens', 'lens', 'attention'] as const) {
        await panel.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
        assert.equal(await panel.locator('.gb-banner-warning').filter({ visible: true, hasText: /random/ }).count(), 0);
        await s.screenshot(`start-demo-${tab}`);
      }
      await s.page.locator('.statusbar-item').filter({ hasText: 'demo GPT-2 · CPU' }).waitFor();
    });
  });

  test('Ctrl+C stops code-server and removes its temp folder; the profile stays, with the settings', { timeout: 30_000 }, async () => {
    await session?.close();
    const temp = dirname(/server log: (\S+)/.exec(printed)?.[1] ?? '');
    assert.ok(existsSync(temp), `start.ts printed no temp folder:\n${printed}`);
    assert.ok(printed.includes(`profile: ${profileDir}`), printed);
    const exited = new Promise<number | null>((done) => start!.once('exit', (code) => done(code)));
    start!.kill('SIGINT');
    assert.equal(await exited, 0, printed);
    assert.equal(existsSync(temp), false, `${temp} is still there`);
    const settings = JSON.parse(readFileSync(join(profileDir, 'user-data', 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(settings['glassbox.model'], 'demo', 'the kept profile remembers the offline choice');
    const url = new URL(/running in code-server: (\S+)/.exec(printed)?.[1] ?? '');
    await assert.rejects(fetch(new URL('/healthz', url)), 'code-server still answers after Ctrl+C');
  });
});

function printedUrl(child: ChildProcessByStdio<null, Readable, Readable>, output: () => string): Promise<string> {
  return new Promise((found, fail) => {
    const look = (): void => {
      const url = /running in code-server: (\S+)/.exec(output())?.[1];
      if (url) found(url);
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => fail(new Error(`start.ts exited (${code}) before printing a URL:\n${output()}`)));
  });
}
