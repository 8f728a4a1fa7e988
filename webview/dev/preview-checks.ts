// Interaction checks on the dev preview in Debian's chromium: exports from every tab, the editor cursor,
// token reveal, typed lens targets, the lens and attribution differences, keyboard use, view state surviving a reload, and the lens grid's
// DOM size and frame time at 512 positions. Run: npx tsx webview/dev/preview-checks.ts
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');
const url = pathToFileURL(join(root, 'webview', 'dev', 'preview.html')).href;

interface Posted {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

const posted = (page: Page): Promise<Posted[]> => page.evaluate(() => (window as unknown as { glassboxPreview: { posted: Posted[] } }).glassboxPreview.posted);
const tab = (page: Page, name: string) => page.click(`vscode-tab-header[data-tab="${name}"]`);

async function exportAs(page: Page, label: string, type = 'export/save'): Promise<Posted> {
  const before = (await posted(page)).length;
  await page.click('.gb-export-button');
  await page.locator('vscode-context-menu').getByText(label).click();
  await page.waitForFunction((n) => (window as unknown as { glassboxPreview: { posted: unknown[] } }).glassboxPreview.posted.length > n, before, { timeout: 5000 });
  const all = await posted(page);
  const save = all.slice(before).find((m) => m.type === type);
  assert.ok(save, `no ${type} after ${label}`);
  return save;
}

async function setLensColour(page: Page, mode: string): Promise<void> {
  await page.locator('.gb-lens vscode-single-select').evaluate((s, value) => {
    (s as HTMLSelectElement).value = value;
    s.dispatchEvent(new Event('change'));
  }, mode);
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsx', join(root, 'webview', 'dev', 'build-preview.ts')], { stdio: 'inherit' });
  const browser = await chromium.launch({
    executablePath: execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--headless=new'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${url}?theme=dark`);
  await page.waitForSelector('.gb-chip');
  assert.equal((await posted(page))[0]?.type, 'panel/ready', 'the page says it is ready first');

  // Clicking a token selects it and asks the host to reveal its range.
  await page.click('.gb-chip[data-index="3"]');
  const reveal = (await posted(page)).filter((m) => m.type === 'token/reveal').at(-1);
  assert.deepEqual(reveal?.payload, { start: 15, end: 19 }, '" fox" covers 15–19');

  // Keyboard: arrows move along the chips, Enter selects.
  await page.focus('.gb-chip[data-index="3"]');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('.gb-chip[data-index="4"]', 'aria-selected'), 'true');

  // The editor cursor marks the token under it.
  await page.evaluate(() => window.postMessage({ type: 'editor/cursor', payload: { offset: 31 } }, '*'));
  await page.waitForTimeout(50);
  assert.ok(await page.$('.gb-chip.gb-cursor[data-index="6"]'), 'offset 31 is inside " the" (30–34)');

  // Exports from the tokens tab.
  const png = await exportAs(page, 'Figure as PNG');
  assert.equal(png.payload.encoding, 'base64');
  assert.ok(String(png.payload.data).startsWith('iVBORw0KGgo'), 'a PNG signature');
  assert.equal(png.payload.filename, 'glassbox-tokens-fox.png');
  const svg = await exportAs(page, 'Figure as SVG');
  assert.match(String(svg.payload.data), /^<svg /);
  const csv = await exportAs(page, 'Table as CSV');
  assert.match(String(csv.payload.data), /^position,id,text/);
  // The fixture's "’" is two tokens each holding part of it: shown, drawn and written by their bytes.
  assert.match(String(csv.payload.data), /\n17,447,⟨0xE2⟩⟨0x80⟩,69,70,/);
  assert.match(String(svg.payload.data), />⟨0xE2⟩⟨0x80⟩<\/text>/);
  for (const text of [String(svg.payload.data), String(csv.payload.data), await page.locator('.gb-tokens').innerText()]) assert.ok(!text.includes('\ufffd'), 'no "�" in the Tokens tab or its exports');
  // The inspection's JSON is written by the host, which holds the attention patterns the page never gets.
  const json = await exportAs(page, 'Data as JSON (CLI format)', 'export/inspection');
  assert.deepEqual(json.payload, { filename: 'glassbox-inspection-fox.json' });

  // The export menu works from the keyboard too.
  const saves = (await posted(page)).filter((m) => m.type === 'export/save').length;
  await page.focus('.gb-export-button');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(100);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
  const keyed = (await posted(page)).filter((m) => m.type === 'export/save');
  assert.equal(keyed.length, saves + 1, 'Enter, arrows, Enter saves');
  assert.equal(keyed.at(-1)?.payload.format, 'svg');

  // Lens: a typed target goes to the host, and its answer switches the colouring.
  await tab(page, 'lens');
  await page.waitForSelector('.gb-grid-cell');
  await page.locator('.gb-target-field').click();
  await page.keyboard.type('dog');
  await page.keyboard.press('Enter');
  const request = (await posted(page)).filter((m) => m.type === 'lens/target').at(-1);
  assert.deepEqual(request?.payload, { requestId: 1, text: ' dog', id: null }, 'leading space added');
  await page.waitForSelector('.gb-target-chip');
  assert.ok(await page.$('.gb-cell-targeted'), 'cells show the target rank');
  const lensPng = await exportAs(page, 'Figure as PNG');
  assert.equal(lensPng.payload.filename, 'glassbox-lens-fox.png');
  const lensCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(lensCsv.payload.data), /target_rank/);
  const lensSvg = await exportAs(page, 'Figure as SVG');
  assert.match(String(lensSvg.payload.data), />⟨0xE2⟩⟨0x80⟩<\/text>/, 'the split "’" heads its column by its bytes');
  for (const text of [String(lensSvg.payload.data), String(lensCsv.payload.data), await page.locator('.gb-lens').innerText()]) assert.ok(!text.includes('\ufffd'), 'no "�" in the lens or its exports');

  // Lens keyboard: focus the grid, move, activate.
  await page.focus('.gb-grid');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  assert.ok(await page.$('.gb-lens-details:not([hidden])'), 'Enter opens the cell details');
  assert.equal(await page.getAttribute('.gb-grid', 'aria-activedescendant'), 'gb-lens-active');

  // Attention: pick a head with the keyboard; export its figure.
  await tab(page, 'attention');
  await page.focus('.gb-thumb.gb-selected');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('.gb-thumb.gb-selected', 'data-head'), '1');
  const attnSvg = await exportAs(page, 'Figure as SVG');
  assert.match(String(attnSvg.payload.data), /blocks\.0\.attn\.hook_pattern · head 1/);
  const attnCsv = await exportAs(page, 'Table as CSV');
  assert.equal(String(attnCsv.payload.data).match(/^blocks\.0\.attn\.hook_pattern,0,1,/gm)?.length, 276, 'one row per causal pair');

  // Why: the last token's prediction by default, asked of the host once; layer × (heads, b_O, MLP) cells.
  await tab(page, 'why');
  await page.waitForSelector('.gb-why-cell');
  const why = (await posted(page)).filter((m) => m.type === 'why/attribute');
  assert.equal(why.length, 1, 'asked once');
  const selected = (await posted(page)).filter((m) => m.type === 'state/changed').at(-1)?.payload.state as { selectedToken: number | null } | undefined;
  assert.equal(why[0].payload.position, selected?.selectedToken ?? 22, 'the token chosen in the Tokens tab, else the last');
  assert.equal(await page.locator('.gb-why-cell').count(), 2 * (4 + 2));
  assert.equal(await page.locator('.gb-why-list').first().locator('li').count(), 10);
  const whyCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(whyCsv.payload.data), /^hook,head,value\nhook_embed,,/);
  // The tab's own JSON is `glassbox attribute --json`'s shape.
  const whyJson = await exportAs(page, 'Data as JSON (CLI format)');
  const attribution = JSON.parse(String(whyJson.payload.data)) as { position: number; target: { id: number; text: string }; logitDiff: number; components: { hook: string; value: number }[] };
  assert.equal(whyJson.payload.filename, 'glassbox-why-fox.json');
  assert.deepEqual(Object.keys(attribution), ['position', 'target', 'versus', 'logitDiff', 'components', 'neurons']);
  assert.equal(attribution.components[0].hook, 'hook_embed');
  await exportAs(page, 'Figure as SVG');

  // The question can be edited: a guess offered at the position, or any single token the host resolves.
  const typeInto = (label: string, value: string) =>
    page.locator(`.gb-why-input[aria-label="${label}"]`).evaluate((input, v) => {
      (input as HTMLInputElement).value = v;
      input.dispatchEvent(new Event('change'));
    }, value);
  await typeInto('Versus token', '');
  await page.waitForFunction(() => (window as unknown as { glassboxPreview: { posted: { type: string; payload: { versusId?: unknown } }[] } }).glassboxPreview.posted.some((m) => m.type === 'why/attribute' && m.payload.versusId === null));
  await typeInto('Target token', '·dog');
  await page.waitForFunction(() => (window as unknown as { glassboxPreview: { posted: { type: string; payload: { targetId?: unknown } }[] } }).glassboxPreview.posted.some((m) => m.type === 'why/attribute' && m.payload.targetId === 3290));
  assert.match(await page.locator('.gb-why .gb-why-heading').innerText(), /Why "·dog"/);
  await typeInto('Target token', '·Glassboxes');
  await page.waitForSelector('.gb-why-input-error:has-text("single token")');
  await page.click('.gb-why-question .gb-link-button');

  // Ablate by clicking: a head cell asks the host for the ablated model; the bar shows its chip and what
  // changed; the attribution is asked again (for the ablated model); the Tokens tab can colour by the change;
  // clicking the chip restores the head and the bar goes.
  const attributionsBefore = (await posted(page)).filter((m) => m.type === 'why/attribute').length;
  await page.click('.gb-why-cell[data-ablate="blocks.1.attn.hook_z:2"]');
  const ablate = (await posted(page)).filter((m) => m.type === 'ablation/set').at(-1);
  assert.deepEqual(ablate?.payload, { ablation: { ablations: [{ hook: 'attn.hook_z', layer: 1, unit: 2 }], mode: 'zero' } });
  await page.waitForSelector('.gb-ablation-summary strong');
  assert.equal(await page.locator('.gb-ablation-chip').count(), 1);
  assert.match(await page.locator('.gb-ablation-summary').innerText(), /perplexity [\d.]+ → [\d.]+/);
  await page.waitForSelector('.gb-why-cell.gb-ablated[data-ablate="blocks.1.attn.hook_z:2"]');
  assert.equal((await posted(page)).filter((m) => m.type === 'why/attribute').length, attributionsBefore + 1, 'asked again of the ablated model');
  await page.click('.gb-why-cell[data-ablate="blocks.0.hook_mlp_out"]');
  await page.waitForFunction(() => document.querySelectorAll('.gb-ablation-chip').length === 2);
  await tab(page, 'tokens');
  await page.locator('.gb-tokens vscode-single-select').evaluate((s) => {
    (s as HTMLSelectElement).value = 'change';
    s.dispatchEvent(new Event('change'));
  });
  await page.waitForSelector('.gb-legend-slot >> text=change in bits');
  assert.match((await page.getAttribute('.gb-chip[data-index="5"]', 'title')) ?? '', /Unablated: .* change [+−±]/);
  await page.screenshot({ path: join(root, 'test-output', 'preview', 'ablation-tokens.png') });
  // The lens too: its change mode compares with the unablated run, following the target set above.
  await tab(page, 'lens');
  await setLensColour(page, 'change');
  await page.waitForSelector('.gb-lens .gb-legend-slot >> text=target "·dog"');
  assert.match(await page.locator('.gb-lens .gb-legend-slot').innerText(), /log₂\(p shown ÷ p unablated\)/);
  await page.locator('.gb-grid-cell[data-point="2"][data-position="4"]').hover();
  assert.match((await page.getAttribute('.gb-grid-cell[data-point="2"][data-position="4"]', 'title')) ?? '', /“·dog” (not in the top 10|[\d.]+%) shown, (not in the top 10|[\d.]+%) unablated: /);
  const lensChangeCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(lensChangeCsv.payload.data).split('\n')[0], /,change_id,change_prob,change_unablated_prob,change_bits$/);
  await setLensColour(page, 'probability');
  await tab(page, 'tokens');
  await page.locator('.gb-ablation-chip').first().click();
  await page.waitForFunction(() => document.querySelectorAll('.gb-ablation-chip').length === 1);
  await page.click('.gb-ablation-bar .gb-link-button');
  await page.waitForSelector('.gb-ablation-bar', { state: 'hidden' });
  await page.waitForTimeout(400); // the preview host's answers to the last two changes arrive (each a new inspection)
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'ablation/set').at(-1)?.payload, { ablation: { ablations: [], mode: 'zero' } });
  await page.locator('.gb-tokens vscode-single-select').evaluate((s) => {
    (s as HTMLSelectElement).value = 'probability';
    s.dispatchEvent(new Event('change'));
  });

  // Routes: asked once; the graph of the chosen token's prediction; the threshold redraws it without asking
  // again; an edge clicked says what it is.
  await tab(page, 'routes');
  await page.waitForSelector('.gb-route-figure svg');
  assert.equal((await posted(page)).filter((m) => m.type === 'routes/request').length, 1);
  const edgesAt = async () => page.locator('.gb-route-figure [data-edge]').count();
  const before = await edgesAt();
  assert.ok(before > 0, 'the route has edges');
  await page.locator('.gb-route-threshold input').evaluate((input) => {
    (input as HTMLInputElement).value = '0.3';
    input.dispatchEvent(new Event('input'));
  });
  assert.ok((await edgesAt()) < before, 'a higher threshold keeps fewer edges');
  assert.equal((await posted(page)).filter((m) => m.type === 'routes/request').length, 1, 'not asked again');
  await page.locator('.gb-route-figure [data-edge]').first().dispatchEvent('click');
  assert.match(await page.locator('.gb-route-detail').innerText(), /^Layer \d+ (attention reads|MLP at)/);
  const routesJson = JSON.parse(String((await exportAs(page, 'Data as JSON (CLI format)')).payload.data)) as { edges: unknown[]; attention: unknown[] };
  assert.ok(routesJson.edges.length > 0 && routesJson.attention.length === 2, 'the routes as `glassbox routes --json` has them');
  const routesCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(routesCsv.payload.data), /^layer,kind,from,to,weight\n\d+,(attention|mlp),/);
  await page.screenshot({ path: join(root, 'test-output', 'preview', 'routes.png') });

  // Compare: nothing pinned yet; pinning shows both texts by position; Patch asks the host once and draws a
  // layer × position heatmap; exports are the sweep's.
  await tab(page, 'compare');
  await page.locator('.gb-compare vscode-button').filter({ hasText: 'Pin the shown text' }).click();
  await page.waitForSelector('.gb-compare-differs');
  assert.equal(await page.locator('.gb-compare-differs').count(), 1, 'one position differs');
  await page.locator('.gb-patch-toolbar vscode-button').click();
  await page.waitForSelector('.gb-patch-grid .gb-why-cell');
  assert.equal(await page.locator('.gb-patch-grid .gb-why-cell').count(), 2 * 23, 'layers × positions');
  const patchRequest = (await posted(page)).filter((m) => m.type === 'patch/run');
  assert.equal(patchRequest.length, 1);
  assert.equal(patchRequest[0].payload.hook, 'hook_resid_pre');
  const patchJson = JSON.parse(String((await exportAs(page, 'Data as JSON (CLI format)')).payload.data)) as { hook: string; results: number[][] };
  assert.ok(patchJson.hook && patchJson.results.length > 0, 'the sweep as `glassbox patch --json` has it');
  const patchCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(patchCsv.payload.data), /^hook,layer,position,metric,normalised\nblocks\.0\.hook_resid_pre,0,0,/);
  // The attribution of the Patch metric at the last position, asked of both texts, and what changed most.
  await page.waitForSelector('.gb-attribution-changes li');
  assert.equal(await page.locator('.gb-attribution-changes li').count(), 10);
  const attributed = (await posted(page)).filter((m) => m.type === 'why/attribute' && m.payload.position === 22).map((m) => m.payload.of).sort();
  assert.deepEqual(attributed, ['pinned', 'shown'], 'each text once');
  assert.match(await page.locator('.gb-compare-attribution').innerText(), /the Patch metric\) at the last position: pinned -?[\d.]+, shown -?[\d.]+, [+−][\d.]+/);
  assert.match(await page.locator('.gb-attribution-changes li').first().innerText(), /^[+−][\d.]+\s+(blocks\.\d+\.(attn\.hook_result head \d+|hook_mlp_out|attn\.b_O)|hook_embed|hook_pos_embed|ln_final\.b) /);
  await page.locator('.gb-compare-attribution .gb-link-button').click();
  const changeCsv = (await posted(page)).filter((m) => m.type === 'export/save').at(-1);
  assert.equal(changeCsv?.payload.filename, 'glassbox-attribution-change-fox.csv');
  assert.match(String(changeCsv?.payload.data), /^position,target_id,versus_id,hook,head,pinned,shown,change\n22,\d+,\d+,blocks\.\d+\./);
  await page.screenshot({ path: join(root, 'test-output', 'preview', 'compare.png'), fullPage: true });
  // With a pin of as many tokens and no ablation, the lens's change mode compares with the pinned text.
  await tab(page, 'lens');
  await setLensColour(page, 'change');
  await page.waitForSelector('.gb-lens .gb-legend-slot >> text=p pinned');
  await setLensColour(page, 'probability');
  await tab(page, 'compare');
  await page.locator('.gb-compare vscode-button').filter({ hasText: 'Unpin' }).click();
  await page.waitForSelector('.gb-compare-empty:not([hidden])');

  // Heads: asked once; a layer × head grid; a click shows that head's card — its scores, its pattern, and
  // what it writes at the chosen token (asked of the host once), byte tokens by their bytes; the card saves as
  // JSON and opens the head in the Attention tab.
  await tab(page, 'heads');
  await page.waitForSelector('.gb-head-cell');
  assert.equal((await posted(page)).filter((m) => m.type === 'heads/request').length, 1);
  assert.equal(await page.locator('.gb-head-cell').count(), 2 * 4);
  const headsJson = JSON.parse(String((await exportAs(page, 'Data as JSON (CLI format)')).payload.data)) as { scores: { induction: number[][] } };
  assert.ok(headsJson.scores.induction.length > 0, 'the head catalogue');
  const headsCsv = await exportAs(page, 'Table as CSV');
  assert.match(String(headsCsv.payload.data), /^layer,head,previousToken,firstToken,duplicateToken,induction\n0,0,/);
  assert.ok(await page.locator('.gb-head-card').isHidden(), 'no card before a head is chosen');
  await page.click('.gb-head-cell[data-layer="1"][data-head="3"]');
  await page.waitForSelector('.gb-head-ov .gb-piece');
  const asked = (await posted(page)).filter((m) => m.type === 'heads/writes');
  assert.deepEqual(asked.map((m) => m.payload), [{ requestId: asked[0].payload.requestId, layer: 1, head: 3, position: 4 }], 'asked once, at the token chosen in the Tokens tab');
  assert.match(await page.locator('.gb-head-card .gb-card-title').innerText(), /^L1H3/);
  assert.equal(await page.locator('.gb-head-scores dt').count(), 4);
  assert.ok(await page.$('.gb-head-thumb canvas'), 'its pattern on the text');
  const sourceCount = await page.locator('.gb-head-ov-source').count();
  assert.equal(sourceCount, 5, 'five tokens it reads from');
  assert.equal(await page.locator('.gb-head-ov .gb-head-tokens').first().locator('li').count(), 5, 'five tokens each');
  assert.equal(await page.locator('.gb-head-ov .gb-piece', { hasText: '⟨0xE2⟩' }).count(), 1, 'a byte token by its byte');
  assert.ok((await page.locator('.gb-head-ov .gb-piece').allInnerTexts()).some((t) => t.startsWith('·')), 'spaces made visible');
  assert.equal(await page.locator('.gb-head-direct .gb-head-tokens li').count(), 10, 'five promoted, five suppressed');
  assert.match((await page.getAttribute('.gb-head-ov', 'title')) ?? '', /no layer norms, no biases/);
  await page.screenshot({ path: join(root, 'test-output', 'preview', 'head-card.png') });
  const savesBefore = (await posted(page)).filter((m) => m.type === 'export/save').length;
  await page.locator('.gb-head-card vscode-button').filter({ hasText: 'Save card as JSON' }).click();
  const cardSave = (await posted(page)).filter((m) => m.type === 'export/save');
  assert.equal(cardSave.length, savesBefore + 1);
  assert.equal(cardSave.at(-1)?.payload.filename, 'glassbox-head-L1H3-fox.json');
  const card = JSON.parse(String(cardSave.at(-1)?.payload.data)) as { layer: number; head: number; scores: Record<string, number>; writes: { sources: unknown[] } };
  assert.deepEqual([card.layer, card.head, Object.keys(card.scores).length, card.writes.sources.length], [1, 3, 4, 5]);
  await page.locator('.gb-head-card vscode-button').filter({ hasText: 'Ablate head' }).click();
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'ablation/set').at(-1)?.payload, { ablation: { ablations: [{ hook: 'attn.hook_z', layer: 1, unit: 3 }], mode: 'zero' } });
  await page.waitForSelector('.gb-ablation-summary strong'); // the ablated model is shown
  await page.waitForSelector('.gb-head-card vscode-button:has-text("Restore head")');
  await page.locator('.gb-head-card vscode-button').filter({ hasText: 'Restore head' }).click();
  await page.waitForSelector('.gb-ablation-bar', { state: 'hidden' });
  await page.locator('.gb-head-card vscode-button').filter({ hasText: 'Open in Attention' }).click();
  await page.waitForSelector('.gb-thumb.gb-selected[data-layer="1"][data-head="3"]');
  await tab(page, 'attention');
  await page.locator('.gb-thumb[data-layer="0"][data-head="1"]').click();
  await page.waitForTimeout(400); // the state is reported once it rests

  // The view state survives a reload: tab, head, target, colour mode.
  const state = (await posted(page)).filter((m) => m.type === 'state/changed').at(-1)?.payload.state;
  assert.ok(state, 'state/changed was reported');
  await page.goto(`${url}?theme=dark&state=${encodeURIComponent(JSON.stringify(state))}`);
  await page.waitForSelector('.gb-thumb');
  assert.equal(await page.getAttribute('.gb-thumb.gb-selected', 'data-head'), '1');
  await tab(page, 'lens');
  await page.waitForSelector('.gb-target-chip');
  assert.equal(await page.locator('.gb-target-field').evaluate((f) => (f as HTMLInputElement).value), 'dog', 'the field shows the restored target');
  const again = (await posted(page)).filter((m) => m.type === 'lens/target').at(-1);
  assert.deepEqual({ ...again?.payload, requestId: undefined }, { requestId: undefined, text: ' dog', id: 3290 }, 'the restored target is asked for again');

  // 512 positions × 13 points: the DOM holds only what is in view, and scrolling stays within a frame.
  // A long inspection paints its tokens first: the Tokens tab is readable, the others say they wait, and the
  // whole inspection replaces both when it comes.
  await page.goto(`${url}?theme=dark&tokensFirst=1500`);
  await page.waitForSelector('.gb-chip');
  assert.equal(await page.locator('.gb-chip:not(.gb-chip-next)').count(), 23, 'every token painted from the reading');
  await page.locator('.gb-chip[data-index="5"]').click();
  await page.waitForSelector('.gb-token-details .gb-toplist-row');
  await tab(page, 'lens');
  assert.ok(await page.locator('.gb-pending:visible').count() === 1 && (await page.locator('.gb-grid-cell').count()) === 0, 'the lens waits for the whole inspection');
  await page.waitForSelector('.gb-grid-cell', { timeout: 5000 });
  assert.equal(await page.locator('.gb-pending:visible').count(), 0, 'nothing pending once the inspection is in');
  await tab(page, 'tokens');
  // Cancel while the rest runs: the host is told, the bar goes, and the page shows what it showed before the
  // inspection (here nothing), not the provisional tokens.
  await page.goto(`${url}?theme=dark&tokensFirst=600000`);
  await page.waitForSelector('.gb-chip');
  await page.locator('.gb-progress-cancel').click();
  assert.ok((await posted(page)).some((m) => m.type === 'inspection/cancel'), 'Cancel tells the host');
  assert.ok(await page.locator('.gb-progress').isHidden(), 'no progress bar after Cancel');
  assert.equal(await page.locator('.gb-chip:visible').count(), 0, 'the provisional tokens are gone');
  assert.ok(await page.locator('.gb-empty').isVisible(), 'the empty panel is back');

  // 2,000 tokens in a 600 × 700 panel: the chips sit in blocks the browser skips while off screen, yet every
  // chip is in the page once the blocks out of view are filled, a frame or so after the first paint — for the
  // keyboard, hover titles, find, and the e2e tests' visible-chip counts. The finished inspection keeps the
  // chips its tokens-first reading made; a new text fills only the blocks in view at once; selecting touches
  // only the chips it changes; recolouring and the editor's cursor reach chips far down.
  await page.setViewportSize({ width: 600, height: 700 });
  await page.goto(`${url}?theme=dark&tokens=2000&tokensFirst=3000`);
  await page.waitForSelector('.gb-chip-next');
  const kept = await page.evaluate(() => {
    Object.assign(window, { keptChip: document.querySelector('.gb-chip[data-index="1400"]') });
    return document.querySelectorAll('.gb-pending:not([hidden])').length > 0;
  });
  assert.ok(kept, 'a chip of the tokens painted first is kept');
  assert.ok((await page.locator('.gb-chip-block').count()) > 1, 'the chips come in blocks');
  // Visible as Playwright's `visible` filter judges style (checkVisibility without contentVisibilityAuto).
  // Not the filter itself: it also reads each box, and Chromium 156 gives the first chip of a skipped block a
  // zero box when its style was read just before (asked again, it has its size).
  assert.equal(await page.locator('.gb-chip:not(.gb-chip-next)').evaluateAll((chips) => chips.filter((chip) => chip.checkVisibility()).length), 2000, 'every chip counts as visible');
  const skipped = (chip: Element): boolean => !chip.checkVisibility({ contentVisibilityAuto: true });
  assert.ok(await page.locator('.gb-chip-next').evaluate(skipped), 'the last block is skipped while off screen');
  const heights = await page.evaluate(() => {
    const skipping = document.scrollingElement?.scrollHeight ?? 0;
    const blocks = [...document.querySelectorAll<HTMLElement>('.gb-chip-block')];
    for (const block of blocks) block.style.contentVisibility = 'visible';
    const drawn = document.scrollingElement?.scrollHeight ?? 0;
    for (const block of blocks) block.style.contentVisibility = '';
    return { skipping, drawn };
  });
  assert.ok(Math.abs(heights.skipping - heights.drawn) < 0.02 * heights.drawn, `the blocks skipped are about as tall as drawn: ${heights.skipping} px, ${heights.drawn} px drawn`);
  await page.waitForFunction(() => document.querySelectorAll('.gb-pending:not([hidden])').length === 0, undefined, { timeout: 10_000 });
  assert.ok(await page.evaluate(() => (window as unknown as { keptChip: Element }).keptChip === document.querySelector('.gb-chip[data-index="1400"]')), 'the finished inspection of the same tokens keeps the chips');
  assert.match((await page.getAttribute('.gb-chip[data-index="1990"]', 'title')) ?? '', /position 1990\nThe model gave it /, 'a chip far down has its hover details');
  // The keyboard reaches the last chips; Enter selects one, which shows its details and is in view.
  await page.focus('.gb-chip[data-index="0"]');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.index), '1999');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('.gb-chip[data-index="1999"]', 'aria-selected'), 'true');
  await page.locator('.gb-token-card').filter({ hasText: 'at position 1999' }).waitFor();
  assert.ok(await page.locator('.gb-chip[data-index="1999"]').evaluate((chip) => {
    const { top, bottom } = chip.getBoundingClientRect();
    return top >= 0 && bottom <= innerHeight && chip.checkVisibility({ contentVisibilityAuto: true });
  }), 'the chip reached is in view and drawn');
  const touched = await page.evaluate(async () => {
    const chips: Element[] = [];
    const observer = new MutationObserver((records) => records.forEach((r) => chips.push(r.target as Element)));
    observer.observe(document.querySelector('.gb-chips') as Element, { attributes: true, subtree: true });
    (document.querySelector('.gb-chip[data-index="1998"]') as HTMLElement).click();
    await new Promise((resolve) => setTimeout(resolve));
    observer.disconnect();
    return [...new Set(chips.map((chip) => (chip as HTMLElement).dataset.index))].sort();
  });
  assert.deepEqual(touched, ['1998', '1999'], 'selecting touches the chip selected and the one it leaves');
  // Recolouring reaches the chips off screen too (they are styled when they come into view).
  const colourOf = (index: number) => page.locator(`.gb-chip[data-index="${index}"]`).evaluate((chip) => getComputedStyle(chip).backgroundColor);
  const painted = [await colourOf(21), await colourOf(1998)];
  await page.locator('.gb-tokens vscode-single-select').evaluate((s) => {
    (s as HTMLSelectElement).value = 'rank';
    s.dispatchEvent(new Event('change'));
  });
  await page.waitForSelector('.gb-legend-slot >> text=rank among');
  const repainted = [await colourOf(21), await colourOf(1998)];
  assert.ok(painted[0] !== repainted[0] && painted[1] !== repainted[1], `recoloured: ${painted} → ${repainted}`);
  // The editor's cursor far up marks its token and brings it into view.
  const offset = await page.evaluate(() => (window as unknown as { glassboxPreview: { show: { inspection: { tokens: { start: number }[] } } } }).glassboxPreview.show.inspection.tokens[40].start);
  await page.evaluate((offset) => window.postMessage({ type: 'editor/cursor', payload: { offset } }, '*'), offset);
  await page.waitForSelector('.gb-chip.gb-cursor[data-index="40"]');
  assert.ok(await page.locator('.gb-chip[data-index="40"]').evaluate((chip) => chip.getBoundingClientRect().top >= 0), 'scrolled up to the cursor');
  await page.screenshot({ path: join(root, 'test-output', 'preview', 'tokens-2000.png') });
  // Another text of as many tokens (the same, one place on): counted as the panel's own listener, added
  // first, has handled it.
  const filledAtOnce = await page.evaluate(() => {
    type Sent = { inspection: { tokens: unknown[] } };
    const { show, send } = (window as unknown as { glassboxPreview: { show: Sent; send(message: unknown): void } }).glassboxPreview;
    const tokens = show.inspection.tokens;
    return new Promise<number>((resolve) => {
      addEventListener('message', () => resolve(document.querySelectorAll('.gb-chips .gb-chip').length), { once: true });
      send({ type: 'inspection/show', payload: { ...show, inspection: { ...show.inspection, tokens: [...tokens.slice(1), tokens[0]] } } });
    });
  });
  assert.ok(filledAtOnce > 0 && filledAtOnce < 2001, `${filledAtOnce} chips painted at once, the rest after`);
  await page.waitForSelector('.gb-chip-next');
  assert.equal(await page.locator('.gb-chip:not(.gb-chip-next)').count(), 2000, 'then every chip');
  await page.setViewportSize({ width: 1400, height: 900 });

  await page.goto(`${url}?theme=dark&tokens=512&layers=12&heads=12`);
  await page.waitForSelector('.gb-chip');
  await tab(page, 'lens');
  await page.waitForSelector('.gb-grid-cell');
  // Wheel-sized steps across the whole width; the browser scrolls the cells, script only adds columns.
  const timing = await page.evaluate(async () => {
    const scroller = document.querySelector('.gb-grid-scroll') as HTMLElement;
    performance.clearMeasures('glassbox lens build');
    for (let left = 0; left < scroller.scrollWidth; left += 120) {
      scroller.scrollLeft = left;
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const builds = performance.getEntriesByName('glassbox lens build').map((e) => e.duration);
    return { cells: document.querySelectorAll('.gb-grid-cell').length, builds: builds.length, mean: builds.reduce((a, b) => a + b, 0) / builds.length, max: Math.max(...builds) };
  });
  assert.ok(timing.cells < 600, `${timing.cells} cells in the DOM`);
  console.log(
    `lens at 512 positions: ${timing.cells} cells in the DOM; scrolling the full width by 120 px steps ran ${timing.builds} ` +
      `column updates, ${timing.mean.toFixed(1)} ms mean, ${timing.max.toFixed(1)} ms max of script`,
  );

  await tab(page, 'attention');
  const attentionTime = await page.evaluate(async () => {
    const start = performance.now();
    (document.querySelector('.gb-thumb[data-layer="5"][data-head="3"]') as HTMLElement).click();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    return performance.now() - start;
  });
  console.log(`attention at 512 tokens: switching heads took ${attentionTime.toFixed(1)} ms`);

  await browser.close();
  assert.deepEqual(errors, [], 'no console errors');
  console.log('preview checks passed');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
