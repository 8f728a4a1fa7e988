// The extension installs from its VSIX into a real VS Code, activates, and its first command works.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  findChromium,
  packageVsix,
  startVsCode,
  withFailureArtifacts,
  type VsCodeSession,
} from './vscode-session';

const noChromium = findChromium()
  ? false
  : 'chromium is not installed and could not be installed (run scripts/system-deps.sh as root)';

describe('smoke: Glassbox in a real VS Code', { skip: noChromium }, () => {
  let temp = '';
  let session: VsCodeSession | undefined;

  // The first run also installs code-server into the cache (~80 s).
  before(async () => {
    temp = await mkdtemp(join(tmpdir(), 'glassbox-smoke-'));
    const workspace = join(temp, 'workspace');
    await mkdir(workspace);
    await writeFile(join(workspace, 'hello.txt'), 'The quick brown fox jumps over the lazy dog.\n');
    // No model runs here: leaving out onnxruntime-node (~109 MB of the VSIX) packages in ~3 s instead of ~20 s.
    const vsix = packageVsix(temp);
    session = await startVsCode({ vsix, workspace });
  }, { timeout: 300_000 });

  after(async () => {
    await session?.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  test('opens a file and shows the Glassbox log from the command palette', { timeout: 60_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'smoke', async () => {
      await s.openFile('hello.txt');
      await s.runCommand('Glassbox: Show Log');

      const output = s.page.locator('.part.panel .output-view');
      await output.waitFor();
      // The Output view names the channel it shows in its label and in its channel picker.
      assert.equal(await output.getAttribute('aria-label'), 'Glassbox - Output');
      // The view's own pane header keeps a hidden copy of the picker; the visible one is in the panel's title bar.
      const picker = s.page.locator('.part.panel select.monaco-select-box').filter({ visible: true });
      assert.equal(await picker.inputValue(), 'Glassbox');
      await s.screenshot('smoke');
    });
  });
});
