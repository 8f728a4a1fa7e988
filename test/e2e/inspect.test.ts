// Glassbox as a user meets it: installed from its VSIX into a real VS Code, running a generated GPT-2 (random
// weights, real tokenizer). Each test is one thing a user does and what they then see; they run in order in
// one session, and the views they show are saved as screenshots under test-output/e2e/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Locator } from 'playwright-core';
import type { InspectionJson } from '../../protocol/inspection-json';
import { routeGraph, type RouteImportances } from '../../protocol/routes';
import { formatNumber, formatProbability } from '../../protocol/number-format';
import { pieceLabel } from '../../protocol/token-piece';
import { visibleWhitespace } from '../../protocol/visible-whitespace';
import { generatedModel } from '../engine/generated-models';
import { modelProcess, sessionMarker } from './session-processes';
import { findChromium, packageVsix, startVsCode, withFailureArtifacts, type VsCodeSession } from './vscode-session';
import { editorLines, ghostText, selectionStatus, textEditor, until, wordCentre } from './workbench-reading';

const root = resolve(import.meta.dirname, '..', '..');
const noChromium = findChromium()
  ? false
  : 'chromium is not installed and could not be installed (run scripts/system-deps.sh as root)';

// A context over 256 tokens: a longer text carries one layer's full attention patterns, the others come on request.
const SHAPE = { nLayer: 2, nHead: 4, nEmbd: 32, nCtx: 320, seed: 5 };
const MODEL_LABEL = `l${SHAPE.nLayer}-h${SHAPE.nHead}-d${SHAPE.nEmbd}-c${SHAPE.nCtx}-s${SHAPE.seed}`;
const TITLE = 'Glassbox notes';
const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const STORY = 'Once upon a time';
// No newline at the end: Ctrl+End then lands at the end of the story line, where the user types.
const NOTES = `${TITLE}\n${SENTENCE}\n${STORY}`;
/** The sentence with one token changed for another: a counterfactual of as many tokens, to patch between. */
const COUNTERFACTUAL = SENTENCE.replace(' fox', ' cat');
const LONG = 'The residual stream is the sum of the outputs of every earlier layer. '.repeat(20).trimEnd();

/** What the CLI says about `text` on the same model: the reference every view is checked against. */
function cliInspect(model: string, text: string, extra: readonly string[] = []): InspectionJson {
  const result = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'inspect', '--model', model, '--text', text, '--top-k', '10', '--json', ...extra], {
    encoding: 'utf8',
    // A long text's full patterns, spelled out as JSON, are megabytes.
    maxBuffer: 256 * 2 ** 20,
  });
  if (result.status !== 0) throw new Error(`glassbox inspect failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as InspectionJson;
}

/** The CLI's greedy continuation of `text` on the same model. */
function cliGenerate(model: string, text: string, maxNewTokens: number): string {
  const result = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'generate', '--model', model, '--text', text, '--max-new-tokens', String(maxNewTokens)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`glassbox generate failed (${result.status}): ${result.stderr}`);
  return result.stdout.replace(/\n$/, '');
}

/** Polls a condition the page cannot express as one selector (it spans frames, or reads several nodes). */
async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('Inspect Selection in a real VS Code, on a generated model', { skip: noChromium }, () => {
  let temp = '';
  let model = '';
  let reference: InspectionJson;
  let workspace = '';
  const marker = sessionMarker();
  let session: VsCodeSession | undefined;
  let panel: FrameLocator;
  /** The ghost text the user accepted with Tab, for the explain test after it. */
  let accepted = '';

  before(async () => {
    temp = await mkdtemp(join(tmpdir(), 'glassbox-inspect-'));
    model = generatedModel(SHAPE);
    workspace = join(temp, 'workspace');
    await mkdir(workspace);
    await writeFile(join(workspace, 'notes.txt'), NOTES);
    await writeFile(join(workspace, 'counterfactual.txt'), `${SENTENCE}\n${COUNTERFACTUAL}`);
    await writeFile(join(workspace, 'story.txt'), STORY);
    // The model runs here, so the VSIX carries onnxruntime-node (~20 s to package).
    const vsix = packageVsix(temp);
    reference = cliInspect(model, SENTENCE);
    session = await startVsCode({
      vsix,
      workspace,
      env: marker,
      settings: {
        'glassbox.model': model,
        // Chromium asks for a light scheme, and code-server follows it unless told.
        'workbench.colorTheme': 'Default Dark Modern',
        'glassbox.completions.enabled': true,
        // The Tab key must reach the ghost text: no other suggestions, no tab completion of words.
        'editor.inlineSuggest.enabled': true,
        'editor.tabCompletion': 'off',
      },
    });
    await session.page.setViewportSize({ width: 1280, height: 800 });
  }, { timeout: 300_000 });

  after(async () => {
    await session?.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  /** Selects the whole sentence line with the keyboard, as a user would, and runs the palette command. */
  async function inspectSentence(s: VsCodeSession): Promise<void> {
    await textEditor(s.page).locator('.view-lines').click();
    await s.page.keyboard.press('Control+Home');
    await s.page.keyboard.press('ArrowDown');
    await s.page.keyboard.press('Home');
    await s.page.keyboard.press('Shift+End');
    await selectionStatus(s.page).filter({ hasText: `(${SENTENCE.length} selected)` }).waitFor();
    await s.runCommand('Glassbox: Inspect Selection');
  }

  /**
   * The ghost text once it has stopped growing: it shows its first tokens while the model writes the rest,
   * then the whole suggestion (the model idle, the text unchanged for half a second).
   */
  async function settledGhostText(s: VsCodeSession): Promise<string> {
    await waitUntil('ghost text', async () => (await ghostText(s.page)) || undefined, 60_000);
    await s.page.locator('.statusbar-item').filter({ hasText: `${MODEL_LABEL} · CPU · busy` }).waitFor({ state: 'detached', timeout: 60_000 });
    // The editor asks again for the whole once the model is done: the same text for half a second is settled.
    let last = '';
    let since = 0;
    return waitUntil('the ghost text to settle', async () => {
      const now = await ghostText(s.page);
      if (now !== last) [last, since] = [now, Date.now()];
      return now !== '' && Date.now() - since >= 500 ? now : undefined;
    });
  }

  /** The Glassbox hover's text over `word` in the text editor, once it shows. */
  async function glassboxHover(s: VsCodeSession, word: string): Promise<string> {
    const { x, y } = await wordCentre(s.page, word);
    await s.page.mouse.move(x, y);
    const hover = s.page.locator('.monaco-hover:not(.hidden) .hover-contents').filter({ hasText: 'Glassbox' });
    await hover.waitFor();
    return hover.innerText();
  }

  function visible(frame: FrameLocator, selector: string): Locator {
    return frame.locator(selector).filter({ visible: true });
  }

  test('Inspect Selection lists the tokens the CLI finds, under a random-weights banner', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-tokens', async () => {
      await s.openFile('notes.txt');
      await inspectSentence(s);
      panel = await s.webviewFrame('Glassbox');
      const chips = visible(panel, '.gb-chip:not(.gb-chip-next)');
      await chips.first().waitFor({ timeout: 60_000 });

      const shown = await chips.evaluateAll((nodes) =>
        nodes.map((n) => ({ text: n.querySelector('.gb-chip-text')?.textContent ?? '', id: Number(n.querySelector('.gb-chip-id')?.textContent) })),
      );
      assert.deepEqual(shown, reference.tokens.map((t) => ({ text: pieceLabel(t), id: t.id })));
      assert.equal(await visible(panel, '.gb-model').innerText(), `${MODEL_LABEL} · ${SHAPE.nLayer} layers × ${SHAPE.nHead} heads · CPU`);
      const banner = visible(panel, '.gb-banner-warning');
      assert.match(await banner.innerText(), /weights are random/);
      assert.match(await visible(panel, '.gb-stats').innerText(), new RegExp(`${reference.tokens.length}\\s+tokens`));
      await s.screenshot('inspect-tokens-dark');
    });
  });

  test('the status bar names the model and its backend', { timeout: 30_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-status-bar', async () => {
      const item = s.page.locator('.statusbar-item').filter({ hasText: MODEL_LABEL });
      await item.filter({ hasText: `${MODEL_LABEL} · CPU` }).waitFor();
    });
  });

  test('clicking a token selects its characters in the editor', { timeout: 30_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-token-click', async () => {
      const index = reference.tokens.findIndex((t) => t.text === ' fox');
      const fox = reference.tokens[index];
      await panel.locator(`.gb-chip[data-index="${index}"]`).click();
      // Line 2 holds the sentence; the selection ends after the token (columns are 1-based).
      await selectionStatus(s.page).filter({ hasText: `Ln 2, Col ${fox.end + 1} (${fox.end - fox.start} selected)` }).waitFor();
      // The token's details open in the panel under the chips, and the editor's selection marks that token.
      await visible(panel, '.gb-token-card').filter({ hasText: `at position ${index}` }).waitFor();
      await panel.locator(`.gb-chip.gb-cursor[data-index="${index}"]`).waitFor();
      assert.equal(await panel.locator('.gb-chip.gb-cursor').count(), 1);
      await s.screenshot('inspect-token-selected-dark');
    });
  });

  test('hovering an inspected word shows the Glassbox hover', { timeout: 30_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-hover', async () => {
      const lazy = reference.tokens.findIndex((t) => t.text === ' lazy');
      const text = await glassboxHover(s, 'lazy');
      assert.match(text, new RegExp(`token ${lazy + 1} of ${reference.tokens.length}`));
      assert.ok(text.includes(`${visibleWhitespace(' lazy')}`), text);
      assert.ok(text.includes(`probability ${formatProbability(reference.logits[lazy - 1].next!.prob)}`), text);
      const top = reference.logits[lazy - 1].topk[0];
      assert.ok(text.includes(`${pieceLabel(top)} ${formatProbability(top.prob)}`), text);
      await s.screenshot('inspect-hover-dark');
      await s.page.mouse.move(5, 400);
      await s.page.locator('.monaco-hover:not(.hidden)').waitFor({ state: 'detached' }).catch(() => undefined);
    });
  });

  test('Logit Lens: one row per residual point, one column per token, a cell opens its top-k', { timeout: 60_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-lens', async () => {
      await panel.locator('vscode-tab-header[data-tab="lens"]').click();
      const grid = visible(panel, '.gb-grid');
      await grid.waitFor();
      const n = reference.tokens.length;
      assert.equal(await grid.getAttribute('aria-rowcount'), String(SHAPE.nLayer + 2)); // + the header row
      assert.equal(await grid.getAttribute('aria-colcount'), String(n + 1)); // + the row headers
      // Each row names its hook in full in its tooltip; in this narrow side panel the label is TransformerLens's
      // short form ("resid_pre 1").
      const titles = await grid.locator('.gb-grid-rowhead').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('title') ?? ''));
      assert.deepEqual(titles.map((t) => t.split(':')[0]), reference.lens.map((l) => l.hook));
      const labels = await grid.locator('.gb-grid-rowhead > span:first-child').allInnerTexts();
      assert.deepEqual(labels, reference.lens.map((l) => l.hook.replace(/^blocks\.(\d+)\.hook_(\w+)$/, '$2 $1')));
      // Column headers exist for the columns near the view; each names its position's token.
      const heads = await grid.locator('.gb-grid-colhead').evaluateAll((nodes) =>
        nodes.map((n) => ({ position: Number((n as HTMLElement).dataset.position), text: n.querySelector('.gb-grid-input')?.textContent ?? '' })),
      );
      assert.ok(heads.length >= 4, `only ${heads.length} column headers`);
      for (const head of heads) assert.equal(head.text, pieceLabel(reference.tokens[head.position]));

      const point = 1;
      const position = 2;
      const cell = grid.locator(`.gb-grid-cell[data-point="${point}"][data-position="${position}"]`);
      const expected = reference.lens[point].positions[position].topk;
      assert.equal(await cell.locator('.gb-cell-text').innerText(), pieceLabel(expected[0]));
      await cell.click();
      const details = visible(panel, '.gb-lens-details');
      await details.locator('.gb-hook').filter({ hasText: reference.lens[point].hook }).waitFor();
      const rows = await details.locator('.gb-toplist-row').evaluateAll((nodes) =>
        nodes.map((n) => ({ text: n.querySelector('.gb-token')?.textContent ?? '', prob: n.querySelector('.gb-toplist-prob')?.textContent ?? '' })),
      );
      assert.deepEqual(rows, expected.map((e) => ({ text: pieceLabel(e), prob: formatProbability(e.prob) })));
      await s.screenshot('inspect-lens-dark');
    });
  });

  test('Attention: a layers × heads overview; a chosen head as a heatmap over the tokens', { timeout: 60_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-attention', async () => {
      await panel.locator('vscode-tab-header[data-tab="attention"]').click();
      const overview = visible(panel, '.gb-overview');
      await overview.waitFor();
      assert.equal(await overview.locator('.gb-overview-rowhead').count(), SHAPE.nLayer);
      assert.deepEqual(await overview.locator('.gb-overview-colhead').allInnerTexts(), [...Array.from({ length: SHAPE.nHead }, (_, h) => `H${h}`), 'mean']);
      assert.equal(await overview.locator('.gb-thumb').count(), SHAPE.nLayer * (SHAPE.nHead + 1));

      const layer = 1;
      const head = 2;
      await overview.locator(`.gb-thumb[data-layer="${layer}"][data-head="${head}"]`).click();
      await visible(panel, '.gb-head-title').filter({ hasText: `blocks.${layer}.attn.hook_pattern` }).filter({ hasText: `head ${head}` }).waitFor();
      const heatmap = visible(panel, '.gb-matrix-canvas');
      assert.match((await heatmap.getAttribute('aria-label')) ?? '', new RegExp(`blocks\\.${layer}\\.attn\\.hook_pattern`));
      const box = await heatmap.boundingBox();
      assert.ok(box && box.width > 200 && box.height > 200, `heatmap is ${JSON.stringify(box)}`);

      // The keyboard walks the heatmap; the readout names the query and key tokens and the weight between them.
      const pattern = reference.attention[layer].pattern?.[head] ?? [];
      await heatmap.focus();
      for (let i = 0; i < 3; i++) await heatmap.press('ArrowDown');
      await heatmap.press('ArrowRight');
      const label = (i: number): string => pieceLabel(reference.tokens[i]);
      const readout = `query 3 “${label(3)}” → key 1 “${label(1)}”: ${formatProbability(pattern[3][1])}`;
      await visible(panel, '.gb-readout').filter({ hasText: readout }).waitFor();
      await s.screenshot('inspect-attention-dark');
    });
  });

  test('Why: the prediction at the chosen token, attributed as the CLI attributes it', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-why', async () => {
      await panel.locator('vscode-tab-header[data-tab="why"]').click();
      await visible(panel, '.gb-why-cell').first().waitFor({ timeout: 60_000 });
      assert.equal(await visible(panel, '.gb-why-cell').count(), SHAPE.nLayer * (SHAPE.nHead + 2));
      const heading = await visible(panel, '.gb-why-heading').innerText();
      const position = Number(/\(position (\d+)\)/.exec(heading)?.[1]);
      // The default question: the token that follows against the model's strongest other guess.
      const target = position + 1 < reference.tokens.length ? reference.tokens[position + 1] : reference.logits[position].topk[0];
      const versus = reference.logits[position].topk.find((e) => e.id !== target.id)!;
      const cli = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'attribute', '--model', model, '--text', SENTENCE, '--target', target.text, '--versus', versus.text, '--position', String(position), '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const attribution = JSON.parse(cli.stdout) as { logitDiff: number };
      await visible(panel, '.gb-why').filter({ hasText: `= ${formatNumber(attribution.logitDiff)}:` }).waitFor();
      await s.screenshot('inspect-why-dark');

      // Edited: " the" alone (typed with · for its space), as `attribute --target " the"` without --versus.
      const edit = (label: string, value: string) =>
        visible(panel, `.gb-why-input[aria-label="${label}"]`).evaluate((input, v) => {
          (input as HTMLInputElement).value = v;
          input.dispatchEvent(new Event('change'));
        }, value);
      await edit('Versus token', '');
      await edit('Target token', '·the');
      const alone = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'attribute', '--model', model, '--text', SENTENCE, '--target', ' the', '--position', String(position), '--json'], { encoding: 'utf8' });
      assert.equal(alone.status, 0, alone.stderr);
      const theLogit = (JSON.parse(alone.stdout) as { logitDiff: number }).logitDiff;
      await visible(panel, '.gb-why').filter({ hasText: `logit("·the") = ${formatNumber(theLogit)}:` }).waitFor({ timeout: 60_000 });
      await visible(panel, '.gb-why-question .gb-link-button').click(); // back to the default question
    });
  });

  test('Ablate by clicking: a head in Why runs the model without it, the tabs show what the CLI’s inspect --ablate does, Clear restores', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-ablate', async () => {
      const unit = 'blocks.0.attn.hook_z:0';
      await visible(panel, `.gb-why-cell[data-ablate="${unit}"]`).click();
      await visible(panel, '.gb-ablation-summary strong').first().waitFor({ timeout: 60_000 });
      assert.equal(await visible(panel, '.gb-ablation-chip').textContent(), `${unit}×`);
      await visible(panel, `.gb-why-cell.gb-ablated[data-ablate="${unit}"]`).waitFor({ timeout: 60_000 });
      const ablated = cliInspect(model, SENTENCE, ['--ablate', unit]);
      const j = reference.tokens.length - 1;
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      const title = (await visible(panel, `.gb-chip[data-index="${j}"]`).getAttribute('title')) ?? '';
      assert.ok(title.includes(`The ablated model gave it ${formatProbability(ablated.logits[j - 1].next!.prob)}`), title);
      assert.ok(title.includes(`Unablated: ${formatProbability(reference.logits[j - 1].next!.prob)}`), title);
      await s.screenshot('inspect-ablated-dark');
      await visible(panel, '.gb-ablation-bar .gb-link-button').click();
      await panel.locator('.gb-ablation-bar').waitFor({ state: 'hidden' });
      await waitUntil('the unablated model', async () => ((await visible(panel, `.gb-chip[data-index="${j}"]`).getAttribute('title')) ?? '').includes('The model gave it'));
    });
  });

  test('Routes: the graph of the chosen prediction has the edges the CLI’s routes importances give', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-routes', async () => {
      await panel.locator('vscode-tab-header[data-tab="routes"]').click();
      await visible(panel, '.gb-route-figure svg').waitFor({ timeout: 60_000 });
      const heading = await visible(panel, '.gb-routes .gb-why-heading').innerText();
      const position = Number(/\(position (\d+)\)/.exec(heading)?.[1]);
      const cli = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'routes', '--model', model, '--text', SENTENCE, '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      // The CLI's graph is of the last position; its importances give the graph of any other.
      const expected = routeGraph(JSON.parse(cli.stdout) as RouteImportances, position, 0.04);
      // Counted in the DOM: a vertical line (a token attending to itself) has no width, so no visible box.
      assert.equal(await panel.locator('.gb-route-figure [data-edge]').count(), expected.edges.length);
      assert.equal(await panel.locator('.gb-route-figure [data-residual]').count(), expected.residuals.length);
      const strongest = [...expected.edges].sort((a, b) => b.weight - a.weight)[0];
      const index = expected.edges.indexOf(strongest);
      await panel.locator(`.gb-route-figure [data-edge="${index}"]`).dispatchEvent('click');
      assert.ok((await visible(panel, '.gb-route-detail').innerText()).includes(`importance ${formatNumber(strongest.weight, 3)}`));
      await s.screenshot('inspect-routes-dark');
    });
  });

  test('typing at the end of a line shows ghost text, and only Tab puts it in the document', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-ghost-text', async () => {
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      await textEditor(s.page).locator('.view-lines').click();
      await s.page.keyboard.press('Control+End');
      const typed = ' there';
      await s.page.keyboard.type(typed);
      const ghost = await settledGhostText(s);
      assert.deepEqual(await editorLines(s.page), [TITLE, SENTENCE, STORY + typed], 'the suggestion is in the document before Tab');
      await s.screenshot('inspect-ghost-text-dark');

      await s.page.keyboard.press('Tab');
      await waitUntil('the accepted text in the editor', async () => (await editorLines(s.page))[2] === STORY + typed + ghost);
      accepted = ghost;
      await s.page.keyboard.press('Control+S');
      const saved = `${TITLE}\n${SENTENCE}\n${STORY}${typed}${ghost}`;
      await waitUntil('the saved file', async () => (await readFile(join(workspace, 'notes.txt'), 'utf8')) === saved);
    });
  });

  test('Explain Last Completion shows the accepted suggestion in the panel, its tokens marked as generated', { timeout: 90_000 }, async () => {
    const s = session!;
    assert.ok(accepted, 'the ghost-text test accepted a suggestion');
    await withFailureArtifacts(s, 'inspect-explain', async () => {
      await s.runCommand('Glassbox: Explain Last Completion');
      const generated = visible(panel, '.gb-chip.gb-chip-generated');
      await generated.first().waitFor({ timeout: 60_000 });
      const texts = await generated.evaluateAll((nodes) => nodes.map((n) => n.querySelector('.gb-chip-text')?.textContent ?? ''));
      // The generated tokens spell what was accepted (and may go on past a newline the suggestion stopped at).
      assert.ok(texts.join('').startsWith(visibleWhitespace(accepted)), `generated ${JSON.stringify(texts)}, accepted ${JSON.stringify(accepted)}`);
      // The prompt's tokens come first, unmarked.
      const all = await visible(panel, '.gb-chip:not(.gb-chip-next)').count();
      assert.ok(all > texts.length, `${all} tokens, ${texts.length} generated`);
      assert.match(await visible(panel, '.gb-generated-stats').innerText(), /generated/i);
      await s.screenshot('inspect-explain-dark');
    });
  });

  test('before the bracket that closes the line the ghost text goes inside it, and Tab keeps the bracket after it', { timeout: 90_000 }, async () => {
    const s = session!;
    // The line as the user has it after typing `console.log(` and the editor closing the bracket. The file holds
    // it already: whether the editor auto-closes a typed bracket depends on when VS Code has loaded the
    // language's configuration, which is not what this test is about.
    const call = 'console.log(';
    await writeFile(join(workspace, 'call.js'), `${call})`);
    try {
      await withFailureArtifacts(s, 'inspect-ghost-bracket', async () => {
        await textEditor(s.page).locator('.view-lines').click();
        await s.openFile('call.js');
        await textEditor(s.page).locator('.view-lines').click();
        await s.page.keyboard.press('Control+End');
        await s.page.keyboard.press('ArrowLeft');
        await selectionStatus(s.page).filter({ hasText: `Ln 1, Col ${call.length + 1}` }).waitFor();
        await s.page.keyboard.press('Alt+Backslash'); // Trigger Inline Suggestion, Glassbox's keybinding
        const ghost = await settledGhostText(s);
        // What the model continues `console.log(` with, greedy, as the CLI runs it: the ghost text is its start.
        const continuation = cliGenerate(model, call, 16);
        assert.ok(continuation.startsWith(ghost), `${JSON.stringify(ghost)} starts ${JSON.stringify(continuation)}`);
        assert.deepEqual(await editorLines(s.page), [`${call})`], 'the suggestion is in the document before Tab');
        await s.screenshot('inspect-ghost-bracket-dark');
        await s.page.keyboard.press('Tab');
        await waitUntil('the accepted text before the bracket', async () => (await editorLines(s.page))[0] === `${call}${ghost})`);
        await s.page.keyboard.press('Control+S');
      });
    } finally {
      await s.openFile('notes.txt'); // where the tests after this one work, whatever happened here
    }
  });

  test('a model process killed mid-inspection is reported in the panel, and the next inspection works', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-crash', async () => {
      const busy = s.page.locator('.statusbar-item').filter({ hasText: `${MODEL_LABEL} · CPU · busy` });
      // Nothing may be running when the process stops (the completion of the previous test has finished).
      await busy.waitFor({ state: 'detached' });
      const pid = modelProcess(marker);
      // Stopped, the process takes the request and never answers: the kill then lands mid-inspection.
      process.kill(pid, 'SIGSTOP');
      try {
        await inspectSentence(s);
        // Words from the last inspection's pace, or without one the bare state.
        await visible(panel, '.gb-progress').filter({ hasText: /Reading about \d+ tokens|Running the model/ }).waitFor();
        await busy.waitFor();
      } finally {
        process.kill(pid, 'SIGKILL');
      }
      const error = visible(panel, '.gb-banner-error');
      await error.waitFor();
      assert.match(await error.innerText(), /model process was stopped by SIGKILL.*Try again/s);
      assert.equal(await visible(panel, '.gb-progress').count(), 0, 'the progress bar is still shown');
      await s.screenshot('inspect-crash-dark');

      await inspectSentence(s);
      await error.waitFor({ state: 'hidden' });
      const chips = visible(panel, '.gb-chip:not(.gb-chip-next)');
      await waitUntil('the tokens again', async () => (await chips.count()) === reference.tokens.length);
      assert.notEqual(modelProcess(marker), pid);
    });
  });

  test('with Follow selection on, moving the cursor to another line inspects that line', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-follow', async () => {
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      await visible(panel, '.gb-follow').click();
      const first = NOTES.split('\n')[0];
      const expected = cliInspect(model, first).tokens.map((t) => pieceLabel(t));
      await until(() => visible(panel, '.gb-follow').evaluate((e) => (e as HTMLInputElement).checked), 5_000, 'the toggle to be on');
      await textEditor(s.page).locator('.view-lines').click();
      await s.page.keyboard.press('Control+Home');
      const chips = visible(panel, '.gb-chip:not(.gb-chip-next) .gb-chip-text');
      await until(async () => JSON.stringify(await chips.allInnerTexts()) === JSON.stringify(expected), 60_000, 'the panel to show the first line');
      await visible(panel, '.gb-follow').click(); // off again, for the tests after this one
      await until(async () => !(await visible(panel, '.gb-follow').evaluate((e) => (e as HTMLInputElement).checked)), 5_000, 'the toggle to be off');
    });
  });

  test('Heads: every head of the model scored; a click shows its card, which opens it in the Attention tab', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-heads', async () => {
      await panel.locator('vscode-tab-header[data-tab="heads"]').click();
      await visible(panel, '.gb-head-cell').first().waitFor({ timeout: 60_000 });
      assert.equal(await visible(panel, '.gb-head-cell').count(), SHAPE.nLayer * SHAPE.nHead);
      await s.screenshot('inspect-heads-dark');
      await visible(panel, '.gb-head-cell[data-layer="1"][data-head="2"]').click();
      const card = visible(panel, '.gb-head-card');
      await card.locator('.gb-card-title').filter({ hasText: 'L1H2' }).waitFor();
      // What it writes comes from the model process (heads/writes): its sections appear once answered.
      await card.locator('.gb-head-writes').getByText('Its direct effect on the prediction here').waitFor({ timeout: 60_000 });
      await s.screenshot('inspect-head-card-dark');
      await card.locator('vscode-button').filter({ hasText: 'Open in Attention' }).click();
      await visible(panel, '.gb-head-title').filter({ hasText: 'blocks.1.attn.hook_pattern' }).filter({ hasText: 'head 2' }).waitFor();
    });
  });

  test('Toggle Surprisal Highlighting tints the tokens of the visible text, and toggling again clears them', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-surprisal', async () => {
      // The active editor is still notes.txt (the panel has focus, not another editor): no click, which would
      // move the cursor and scroll the long line under the later tests' clicks.
      await s.runCommand('Glassbox: Toggle Surprisal Highlighting');
      const item = s.page.locator('.statusbar-item.right').filter({ hasText: 'Surprisal' });
      try {
        await item.waitFor({ timeout: 30_000 });
        // A decoration's background is drawn in the editor's overlay layer, as an element with a generated `ced-` class.
        const tinted = textEditor(s.page).locator('.view-overlays [class*="ced-"]');
        await waitUntil('tinted tokens', async () => (await tinted.count()) > 0, 60_000);
        await s.screenshot('inspect-surprisal-dark');
        // The hover over tinted text tells the numbers the tint came from: the whole short file read at once,
        // as the CLI reads it.
        const read = cliInspect(model, (await editorLines(s.page)).join('\n'));
        const lazy = read.tokens.findIndex((t) => t.text === ' lazy');
        const text = await glassboxHover(s, 'lazy');
        assert.match(text, new RegExp(`token ${lazy + 1} of ${read.tokens.length}`));
        assert.ok(text.includes(`probability ${formatProbability(read.logits[lazy - 1].next!.prob)}`), text);
        await s.page.mouse.move(5, 400);
        await s.page.locator('.monaco-hover:not(.hidden)').waitFor({ state: 'detached' }).catch(() => undefined);
        await s.runCommand('Glassbox: Toggle Surprisal Highlighting');
        await waitUntil('no tint', async () => (await tinted.count()) === 0);
      } finally {
        // Left on, it would inspect the visible text behind the later tests' backs.
        if (await item.isVisible()) await s.runCommand('Glassbox: Toggle Surprisal Highlighting');
      }
    });
  });

  test('Toggle Attention from Cursor tints the tokens the token at the cursor attends to, and toggling again clears them', { timeout: 90_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-attention-cursor', async () => {
      // The cursor at the end of the sentence: its last token has earlier tokens to attend to.
      await s.runCommand('View: Focus First Editor Group');
      await s.page.keyboard.press('Control+Home');
      await s.page.keyboard.press('ArrowDown');
      await s.page.keyboard.press('End');
      await s.runCommand('Glassbox: Toggle Attention from Cursor');
      const item = s.page.locator('.statusbar-item.right').filter({ hasText: 'Attention' });
      try {
        await item.waitFor({ timeout: 30_000 });
        const tinted = textEditor(s.page).locator('.view-overlays [class*="ced-"]');
        // Every token attends to something earlier (its weights sum to 1), so at least one earlier token is tinted.
        await waitUntil('tinted tokens', async () => (await tinted.count()) > 1, 60_000);
        await s.screenshot('inspect-attention-cursor-dark');
        await s.runCommand('Glassbox: Toggle Attention from Cursor');
        await waitUntil('no tint', async () => (await tinted.count()) === 0);
      } finally {
        if (await item.isVisible()) await s.runCommand('Glassbox: Toggle Attention from Cursor');
      }
    });
  });

  test('the views in the light theme', { timeout: 60_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-light', async () => {
      await s.runCommand('Preferences: Toggle between Light/Dark Themes');
      await s.page.locator('.monaco-workbench.vs').waitFor();
      for (const tab of ['tokens', 'lens', 'attention'] as const) {
        await panel.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
        await panel.locator('body.vscode-light').waitFor();
        await visible(panel, `.gb-${tab === 'lens' ? 'grid' : tab === 'tokens' ? 'chips' : 'overview'}`).waitFor();
        await s.screenshot(`inspect-${tab}-light`);
      }
    });
  });

  test('a text over 256 tokens: a layer it did not carry is fetched when chosen, and shows the CLI\'s weights', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-long', async () => {
      const long = cliInspect(model, LONG);
      assert.ok(long.tokens.length > 256 && long.tokens.length <= SHAPE.nCtx, `${long.tokens.length} tokens`);
      await writeFile(join(workspace, 'long.txt'), LONG);
      // Opened in the editors' group, not the panel's.
      await textEditor(s.page).locator('.view-lines').click();
      await s.openFile('long.txt');
      await textEditor(s.page).locator('.view-lines').click();
      await s.page.keyboard.press('Control+A');
      await selectionStatus(s.page).filter({ hasText: `(${LONG.length} selected)` }).waitFor();
      const pageNow = () => panel.locator('body').evaluate(() => performance.now());
      const asked = await pageNow();
      await s.runCommand('Glassbox: Inspect Selection');
      panel = await s.webviewFrame('Glassbox');
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      await visible(panel, '.gb-stats').filter({ hasText: new RegExp(`${long.tokens.length}\\s+tokens`) }).waitFor({ timeout: 60_000 });
      // A long text's tokens reach the screen before the rest of its inspection (the page's User Timing marks).
      const marks = () => panel.locator('body').evaluate(() => ['glassbox:tokens-shown', 'glassbox:inspection-shown'].map((name) => performance.getEntriesByName(name, 'mark').at(-1)?.startTime ?? -1));
      const [tokensShown, wholeShown] = await waitUntil('the whole inspection on screen', async () => {
        const [tokens, whole] = await marks();
        return whole > asked ? [tokens, whole] : undefined;
      });
      assert.ok(tokensShown > asked && wholeShown >= tokensShown, `tokens painted at ${tokensShown} ms, the whole at ${wholeShown} ms, asked at ${asked} ms`);
      await panel.locator('vscode-tab-header[data-tab="attention"]').click();

      // The panel showed layer 1 when it asked, so layer 0 comes from the model process when clicked.
      const layer = 0;
      const head = 1;
      await visible(panel, `.gb-overview .gb-thumb[data-layer="${layer}"][data-head="${head}"]`).click();
      const heatmap = visible(panel, '.gb-matrix-canvas');
      await waitUntil('the heatmap of layer 0', async () => /blocks\.0\.attn\.hook_pattern/.test((await heatmap.getAttribute('aria-label')) ?? ''));
      // Wherever the keyboard cursor stands, the readout gives the CLI's weight there.
      const pattern = long.attention[layer].pattern?.[head] ?? [];
      await heatmap.focus();
      await heatmap.press('ArrowDown');
      const readout = await waitUntil('a readout', async () => /query (\d+) .* key (\d+) .*: (.*)$/.exec(await visible(panel, '.gb-readout').innerText()) ?? undefined);
      const [q, k] = [Number(readout[1]), Number(readout[2])];
      assert.equal(readout[3], formatProbability(pattern[q][k]), `query ${q}, key ${k}`);
      await s.screenshot('inspect-attention-long-light');
    });
  });
  test('a layer whose request died with the model process says so, and Try again fetches it', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-layer-retry', async () => {
      const long = cliInspect(model, LONG);
      // Inspected again, the long text carries the layer shown (0), not layer 1. (A click into the editor
      // would land in its margin: it is scrolled to the end of the long line.)
      await s.runCommand('View: Focus First Editor Group');
      await s.page.keyboard.press('Control+A');
      await selectionStatus(s.page).filter({ hasText: `(${LONG.length} selected)` }).waitFor();
      await s.runCommand('Glassbox: Inspect Selection');
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      await visible(panel, '.gb-stats').filter({ hasText: new RegExp(`${long.tokens.length}\\s+tokens`) }).waitFor({ timeout: 60_000 });
      await panel.locator('vscode-tab-header[data-tab="attention"]').click();
      const status = visible(panel, '.gb-attn-status');
      const pid = modelProcess(marker);
      process.kill(pid, 'SIGSTOP');
      try {
        await visible(panel, '.gb-overview .gb-thumb[data-layer="1"][data-head="0"]').click();
        await status.filter({ hasText: 'Computing blocks.1.attn.hook_pattern' }).waitFor();
      } finally {
        process.kill(pid, 'SIGKILL');
      }
      await status.filter({ hasText: /Could not compute blocks\.1\.attn\.hook_pattern/ }).waitFor({ timeout: 30_000 });
      await s.screenshot('inspect-layer-failed-dark');

      await visible(panel, '.gb-attn-retry').click();
      const heatmap = visible(panel, '.gb-matrix-canvas');
      await waitUntil('the heatmap of layer 1', async () => /blocks\.1\.attn\.hook_pattern/.test((await heatmap.getAttribute('aria-label')) ?? ''), 60_000);
      await heatmap.focus();
      await heatmap.press('ArrowDown');
      const readout = await waitUntil('a readout', async () => /query (\d+) .* key (\d+) .*: (.*)$/.exec(await visible(panel, '.gb-readout').innerText()) ?? undefined);
      const [q, k] = [Number(readout[1]), Number(readout[2])];
      assert.equal(readout[3], formatProbability(long.attention[1].pattern?.[0][q][k] ?? Number.NaN), `query ${q}, key ${k}`);
      assert.notEqual(modelProcess(marker), pid);
    });
  });
  test('Compare: pin a sentence, inspect its counterfactual, Patch: the heatmap holds the CLI’s patch values', { timeout: 120_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-compare', async () => {
      await s.runCommand('View: Focus First Editor Group');
      await s.openFile('counterfactual.txt');
      const inspectLine = async (line: number, text: string) => {
        await textEditor(s.page).locator('.view-lines').click();
        await s.page.keyboard.press('Control+Home');
        for (let i = 0; i < line; i++) await s.page.keyboard.press('ArrowDown');
        await s.page.keyboard.press('Home');
        await s.page.keyboard.press('Shift+End');
        await selectionStatus(s.page).filter({ hasText: `(${text.length} selected)` }).waitFor();
        await s.runCommand('Glassbox: Inspect Selection');
      };
      await inspectLine(0, SENTENCE);
      panel = await s.webviewFrame('Glassbox');
      await panel.locator('vscode-tab-header[data-tab="compare"]').click();
      await visible(panel, '.gb-compare vscode-button').filter({ hasText: 'Pin the shown text' }).click();
      await visible(panel, '.gb-compare-rows').waitFor({ timeout: 60_000 });
      await inspectLine(1, COUNTERFACTUAL);
      await visible(panel, '.gb-compare-differs').waitFor({ timeout: 60_000 });
      assert.equal(await visible(panel, '.gb-compare-differs').count(), 1, 'one token differs');

      // The default target: the pinned text's top guess. The versus token is set to none here, as a user would
      // in its select: a random model's guesses include partial-byte tokens, which the CLI cannot be given as text.
      const clean = cliInspect(model, SENTENCE);
      const last = clean.tokens.length - 1;
      const target = clean.logits[last].topk[0];
      assert.ok(!target.text.includes('\uFFFD'), `the target ${JSON.stringify(target.text)} is a whole token's text`);
      await visible(panel, '.gb-patch-toolbar vscode-single-select[aria-label="Versus token"]').evaluate((select) => {
        (select as HTMLSelectElement).value = 'none';
        select.dispatchEvent(new Event('change'));
      });
      await visible(panel, '.gb-patch-toolbar vscode-button').click();
      await visible(panel, '.gb-patch-grid .gb-why-cell').first().waitFor({ timeout: 60_000 });
      const cli = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'patch', '--model', model, '--clean', SENTENCE, '--corrupt', COUNTERFACTUAL, '--target', target.text, '--hook', 'hook_resid_pre', '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const patched = JSON.parse(cli.stdout) as { results: number[][] };
      const titles = await visible(panel, '.gb-patch-grid .gb-why-cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('title') ?? ''));
      assert.equal(titles.length, SHAPE.nLayer * clean.tokens.length);
      titles.forEach((title, i) => {
        const [l, p] = [Math.floor(i / clean.tokens.length), i % clean.tokens.length];
        assert.ok(title.startsWith(`blocks.${l}.hook_resid_pre, position ${p} `), title);
        assert.ok(title.includes(` = ${formatNumber(patched.results[l][p])} (normalised`), `${title} vs the CLI's ${patched.results[l][p]}`);
      });
      await s.screenshot('inspect-compare-dark');
      await visible(panel, '.gb-compare vscode-button').filter({ hasText: 'Unpin' }).click();
      await visible(panel, '.gb-compare-empty').waitFor();
    });
  });
  test('Explain Suggestion opens the ghost text in the panel; Toggle Inline Completions stops it; Reload Model loads again', { timeout: 150_000 }, async () => {
    const s = session!;
    await withFailureArtifacts(s, 'inspect-suggestion-commands', async () => {
      await s.runCommand('View: Focus First Editor Group');
      await s.openFile('story.txt');
      await textEditor(s.page).locator('.view-lines').click();
      await s.page.keyboard.press('Control+End');
      await s.page.keyboard.type(' there');
      await waitUntil('ghost text', async () => (await ghostText(s.page)) || undefined, 60_000);
      await s.runCommand('Glassbox: Explain Suggestion');
      panel = await s.webviewFrame('Glassbox');
      await panel.locator('vscode-tab-header[data-tab="tokens"]').click();
      await visible(panel, '.gb-chip.gb-chip-generated').first().waitFor({ timeout: 60_000 });
      assert.equal(await visible(panel, '.gb-source').innerText(), 'story.txt');
      await s.screenshot('inspect-explain-suggestion-dark');

      // Off: typing brings no ghost text (given the time a suggestion took above, and more).
      await s.runCommand('View: Focus First Editor Group');
      await s.page.keyboard.press('Escape');
      await s.runCommand('Glassbox: Toggle Inline Completions');
      await s.page.locator('.statusbar-item').filter({ hasText: 'inline completions off' }).waitFor();
      try {
        await s.page.keyboard.type(' and');
        await s.page.waitForTimeout(4_000);
        assert.equal(await ghostText(s.page), '', 'no ghost text while completions are off');
      } finally {
        await s.runCommand('Glassbox: Toggle Inline Completions');
        await s.page.locator('.statusbar-item').filter({ hasText: 'inline completions on' }).waitFor();
      }

      // Reload: the status bar goes through loading back to the model, and the model answers again.
      const pid = modelProcess(marker);
      await s.runCommand('Glassbox: Reload Model');
      await s.page.locator('.statusbar-item').filter({ hasText: `${MODEL_LABEL} · CPU` }).first().waitFor({ timeout: 60_000 });
      await s.page.keyboard.type(' the');
      await waitUntil('ghost text after the reload', async () => (await ghostText(s.page)) || undefined, 60_000);
      assert.equal(modelProcess(marker), pid, 'a reload loads the model again in the same process');
    });
  });
});
