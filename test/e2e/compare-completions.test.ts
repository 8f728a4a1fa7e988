// Compare Completions as a user meets it, in a real VS Code on the demo model the extension ships: asked for
// without a steering it says so and offers Steer Completions…; once a steering is set it shows the text before
// the cursor continued unsteered and steered, token for token what the CLI's `generate` prints for the same
// prompt, with the probabilities; Explain steered opens that continuation in the Inspect panel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { GeneratedToken } from '../../protocol/model-messages';
import { pieceLabel } from '../../protocol/token-piece';
import { sessionMarker } from './session-processes';
import { findChromium, packageVsix, startVsCode, withFailureArtifacts, type VsCodeSession } from './vscode-session';
import { textEditor } from './workbench-reading';

const root = resolve(import.meta.dirname, '..', '..');
const noChromium = findChromium() ? false : 'chromium is not installed and could not be installed (run scripts/system-deps.sh as root)';

const DEMO_MODEL = join(root, 'demo-model');
const CONTEXT = 'The weather today was';
const MAX_TOKENS = 12;
// On the demo model this steering keeps the first token and changes the rest (checked against the CLI below).
const STEERING = { add: 'happy', subtract: 'sad', layer: 2, scale: 6 };

/** The CLI's greedy continuation of `text`, steered or not, with each token's probability. */
function cliGenerate(steer: boolean): readonly GeneratedToken[] {
  const steering = steer ? ['--steer-add', STEERING.add, '--steer-sub', STEERING.subtract, '--steer-layer', String(STEERING.layer), '--steer-scale', String(STEERING.scale)] : [];
  const result = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'generate', '--model', DEMO_MODEL, '--text', CONTEXT, '--max-new-tokens', String(MAX_TOKENS), '--json', ...steering], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`glassbox generate failed (${result.status}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as { tokens: GeneratedToken[] }).tokens;
}

/** The chips of one side of the view: the token as shown, and the probability it carries. */
async function shownTokens(view: FrameLocator, side: 'unsteered' | 'steered'): Promise<{ text: string; prob: number }[]> {
  return view
    .locator(`.gb-cmp-side[data-side="${side}"] .gb-cmp-chip`)
    .evaluateAll((nodes) => nodes.map((n) => ({ text: n.querySelector('.gb-chip-text')?.textContent ?? '', prob: Number((n as HTMLElement).dataset.prob) })));
}

/** Types into the quick input the command has open and accepts it. */
async function answer(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

describe('Compare Completions in a real VS Code, on the demo model', { skip: noChromium }, () => {
  let temp = '';
  let session: VsCodeSession | undefined;
  let view: FrameLocator;
  let unsteered: readonly GeneratedToken[] = [];
  let steered: readonly GeneratedToken[] = [];

  before(async () => {
    temp = await mkdtemp(join(tmpdir(), 'glassbox-compare-'));
    const workspace = join(temp, 'workspace');
    await mkdir(workspace);
    // No newline at the end: Ctrl+End puts the cursor right after the context.
    await writeFile(join(workspace, 'weather.txt'), CONTEXT);
    const vsix = packageVsix(temp);
    unsteered = cliGenerate(false);
    steered = cliGenerate(true);
    session = await startVsCode({
      vsix,
      workspace,
      env: sessionMarker(),
      settings: {
        'glassbox.model': 'demo',
        'workbench.colorTheme': 'Default Dark Modern',
        // The comparison is asked for, never typed for: ghost text would only compete for the model.
        'glassbox.completions.enabled': false,
        'glassbox.completions.maxTokens': MAX_TOKENS,
      },
    });
    await session.page.setViewportSize({ width: 1280, height: 800 });
  }, { timeout: 300_000 });

  after(async () => {
    await session?.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  function visible(frame: FrameLocator, selector: string): Locator {
    return frame.locator(selector).filter({ visible: true });
  }

  test('the CLI’s two continuations differ after a shared start (what the view must show)', () => {
    assert.equal(unsteered.length, MAX_TOKENS);
    assert.equal(steered[0].id, unsteered[0].id);
    assert.notDeepEqual(steered.map((t) => t.id), unsteered.map((t) => t.id));
  });

  test('without a steering the view says so and offers Steer Completions…', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'compare-no-steering', async () => {
      await s.openFile('weather.txt');
      await textEditor(s.page).locator('.view-lines').click();
      await s.page.keyboard.press('Control+End');
      await s.runCommand('Glassbox: Compare Completions');
      view = await s.webviewFrame('Compare Completions');
      await visible(view, '.gb-empty-title').filter({ hasText: 'No steering is set' }).waitFor({ timeout: 30_000 });
      await s.screenshot('compare-no-steering-dark');
    });
  });

  test('setting a steering from the view compares at once: both continuations are the CLI’s, tokens and probabilities', { timeout: 150_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'compare-steered', async () => {
      await visible(view, 'vscode-button').filter({ hasText: 'Steer Completions…' }).click();
      const newSteering = s.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: 'New steering…' });
      await newSteering.first().click();
      await answer(s.page, STEERING.add);
      await answer(s.page, STEERING.subtract);
      await answer(s.page, String(STEERING.layer));
      await answer(s.page, String(STEERING.scale));
      await s.page.locator('.statusbar-item').filter({ hasText: 'Steered' }).first().waitFor({ timeout: 30_000 });

      await visible(view, '.gb-cmp-side[data-side="steered"] .gb-cmp-chip').first().waitFor({ timeout: 120_000 });
      for (const [side, expected] of [['unsteered', unsteered], ['steered', steered]] as const) {
        const shown = await shownTokens(view, side);
        assert.deepEqual(shown.map((t) => t.text), expected.map((t) => pieceLabel(t)), `${side} tokens`);
        shown.forEach((t, i) => assert.ok(Math.abs(t.prob - expected[i].prob) < 1e-4, `${side} token ${i}: ${t.prob} shown, ${expected[i].prob} from the CLI`));
      }
      // The first token is shared; the first that differs is marked.
      const diverged = expectedDivergence();
      assert.equal(await visible(view, '.gb-cmp-side[data-side="steered"] .gb-cmp-first').count(), 1);
      assert.equal(await visible(view, '.gb-cmp-side[data-side="steered"] .gb-cmp-chip').nth(diverged).getAttribute('class'), 'gb-chip gb-cmp-chip gb-cmp-diverged gb-cmp-first');
      assert.match(await visible(view, '.gb-cmp-divergence').innerText(), new RegExp(`diverge at token ${diverged + 1}`));
      assert.match(await visible(view, '.gb-cmp-steering').innerText(), /\+"happy" −"sad" @L2 ×6/);
      assert.match(await visible(view, '.gb-cmp').innerText(), /Greedy: the likeliest token at every step/);
      // Side by side at this width; the notice offering Compare Completions would cover the view.
      const [a, b] = [await visible(view, '.gb-cmp-side').nth(0).boundingBox(), await visible(view, '.gb-cmp-side').nth(1).boundingBox()];
      assert.ok(a && b && Math.abs(a.y - b.y) < 1 && b.x > a.x, `side by side: ${JSON.stringify([a, b])}`);
      await s.runCommand('Notifications: Clear All Notifications');
      await s.screenshot('compare-steered-dark');
    });
  });

  test('in a narrow window the two continuations stack, still readable', { timeout: 30_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'compare-narrow', async () => {
      // The panel gets about 320 px of this window.
      await s.page.setViewportSize({ width: 860, height: 900 });
      const sides = visible(view, '.gb-cmp-side');
      await s.page.waitForTimeout(300); // a layout pass after the resize; no event marks it
      const [a, b] = [await sides.nth(0).boundingBox(), await sides.nth(1).boundingBox()];
      assert.ok(a && b && b.y > a.y + a.height - 1, `stacked: ${JSON.stringify([a, b])}`);
      const width = await view.locator('body').evaluate((body) => [body.clientWidth, body.scrollWidth]);
      assert.ok(width[1] <= width[0], `nothing runs off the side: ${width}`);
      await s.screenshot('compare-steered-narrow-dark');
      await s.page.setViewportSize({ width: 1280, height: 800 });
    });
  });

  test('Explain steered opens that continuation in the Inspect panel, its tokens marked as generated, and says it is read unsteered', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'compare-explain', async () => {
      await visible(view, 'vscode-button').filter({ hasText: 'Explain steered' }).click();
      await s.page.locator('.notifications-toasts').filter({ hasText: 'reads the steered continuation with the model as it is' }).first().waitFor({ timeout: 30_000 });
      const panel = await s.webviewFrame('Glassbox');
      const generated = visible(panel, '.gb-chip.gb-chip-generated');
      await generated.first().waitFor({ timeout: 60_000 });
      const texts = await generated.evaluateAll((nodes) => nodes.map((n) => n.querySelector('.gb-chip-text')?.textContent ?? ''));
      assert.deepEqual(texts, steered.map((t) => pieceLabel(t)));
      await s.screenshot('compare-explain-steered-dark');
    });
  });

  function expectedDivergence(): number {
    const i = steered.findIndex((t, k) => t.id !== unsteered[k]?.id);
    return i < 0 ? steered.length : i;
  }
});
