// Screenshots of the dev preview in Debian's chromium, for looking at the panel without VS Code.
// Run: npx tsx webview/dev/screenshot.ts [out-dir] [name-filter]   (builds first; default out-dir
// test-output/screenshots; a filter takes the shots whose name contains it). A shot with `exportPng` also saves
// the tab's exported figure as <name>-export.png, the file a user would get. Also reports console errors and
// CSP violations, which must stay at zero.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');
const out = process.argv[2] ?? join(root, 'test-output', 'screenshots');
const only = process.argv[3] ?? '';

interface Shot {
  readonly name: string;
  readonly query: string;
  readonly act?: (page: Page) => Promise<void>;
  readonly size?: { width: number; height: number };
  readonly exportPng?: boolean;
  /** The window only, for pages too long to look at whole (a thousand tokens at 320 px). */
  readonly window?: boolean;
}

/** The shown tab's figure as the PNG its export would save. */
async function exportedPng(page: Page): Promise<Buffer> {
  await page.click('.gb-export-button');
  await page.locator('vscode-context-menu').getByText('Figure as PNG').click();
  const data = await page.waitForFunction(() => {
    const posted = (window as unknown as { glassboxPreview: { posted: { type: string; payload: { format?: string; data?: string } }[] } }).glassboxPreview.posted;
    return posted.filter((m) => m.type === 'export/save' && m.payload.format === 'png').at(-1)?.payload.data;
  });
  return Buffer.from(String(await data.jsonValue()), 'base64');
}

const whyTab = async (page: Page): Promise<void> => {
  await page.click('vscode-tab-header[data-tab="why"]');
  await page.waitForSelector('.gb-why-cell');
};

const tab = (name: string) => async (page: Page) => {
  await page.click(`vscode-tab-header[data-tab="${name}"]`);
  await page.waitForTimeout(150);
};

/** The Lens tab with the cell of residual point `point` at `position` open. */
const lensCell = (point: number, position: number) => async (page: Page) => {
  await tab('lens')(page);
  await page.click(`.gb-grid-cell[data-point="${point}"][data-position="${position}"]`);
  await page.waitForTimeout(100);
};

/** The Heads tab with L5H11 chosen at " fox": its card and what it writes. */
const headCard = async (page: Page): Promise<void> => {
  await page.click('.gb-chip[data-index="3"]');
  await page.click('vscode-tab-header[data-tab="heads"]');
  await page.click('.gb-head-cell[data-layer="5"][data-head="11"]');
  await page.waitForSelector('.gb-head-ov .gb-piece');
};

/**
 * A thousand tokens: the first chip of the second block (webview/token-blocks.ts) selected from the keyboard,
 * its rings beside the block's edge, and the editor's cursor on the chip after it.
 */
const blockEdge = async (page: Page): Promise<void> => {
  const index = Number(await page.locator('.gb-chip-block').nth(1).locator('.gb-chip').first().getAttribute('data-index'));
  await page.locator(`.gb-chip[data-index="${index - 1}"]`).click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  const offset = await page.evaluate((j) => (window as unknown as { glassboxPreview: { show: { inspection: { tokens: { start: number }[] } } } }).glassboxPreview.show.inspection.tokens[j].start, index + 1);
  await page.evaluate((offset) => window.postMessage({ type: 'editor/cursor', payload: { offset } }, '*'), offset);
  await page.waitForTimeout(150);
};

const lensColour = async (page: Page, mode: string): Promise<void> => {
  await page.locator('.gb-lens vscode-single-select').evaluate((s, value) => {
    (s as HTMLElement & { value: string }).value = value;
    s.dispatchEvent(new Event('change'));
  }, mode);
  await page.waitForTimeout(150);
};

/** Head 2 of layer 5 ablated from the Why tab, then the lens coloured by the change against the unablated run. */
const lensChange = async (page: Page): Promise<void> => {
  await whyTab(page);
  await page.click('.gb-why-cell[data-ablate="blocks.5.attn.hook_z:2"]');
  await page.waitForSelector('.gb-ablation-summary strong');
  await tab('lens')(page);
  await lensColour(page, 'change');
  await page.click('.gb-grid-cell[data-point="11"][data-position="2"]');
};

/** A pinned counterfactual (" cat" for " fox") and the attribution of the Patch metric in both texts. */
const compareAttribution = async (page: Page): Promise<void> => {
  await tab('compare')(page);
  await page.locator('.gb-compare vscode-button').filter({ hasText: 'Pin the shown text' }).click();
  await page.waitForSelector('.gb-attribution-changes li');
};

const shots: readonly Shot[] = [
  { name: 'empty-dark', query: 'empty' },
  // Tokens painted first while the rest of a long inspection runs: the bar, Cancel, a tab that waits.
  { name: 'provisional-tokens-dark', query: 'theme=dark&tokensFirst=600000&tokens=120' },
  { name: 'provisional-lens-narrow-light', query: 'tokensFirst=600000&tokens=120&theme=light', act: tab('lens'), size: { width: 320, height: 600 } },
  {
    name: 'tokens-dark',
    query: 'theme=dark&random&windowed',
    act: async (page) => {
      await page.click('.gb-chip[data-index="12"]');
      await page.waitForTimeout(100);
    },
  },
  {
    name: 'tokens-surprisal-ids-dark',
    query: 'theme=dark',
    act: async (page) => {
      await page.click('.gb-chip[data-index="16"]');
      await page.click('.gb-tokens vscode-checkbox');
      await page.evaluate(() => {
        const select = document.querySelector('.gb-tokens vscode-single-select') as HTMLElement & { value: string };
        select.value = 'surprisal';
        select.dispatchEvent(new Event('change'));
      });
      await page.locator('.gb-range').first().fill('0.6');
      await page.locator('.gb-range').nth(2).fill('0.8');
      await page.waitForTimeout(100);
    },
  },
  { name: 'lens-dark', query: 'theme=dark&layers=12&heads=12', act: lensCell(10, 7) },
  {
    name: 'lens-target-dark',
    query: 'theme=dark&layers=12&heads=12',
    act: async (page) => {
      await tab('lens')(page);
      await page.click('.gb-grid-cell[data-point="12"][data-position="7"]');
      await page.click('.gb-lens-details .gb-toplist-row:first-child .gb-link-button', { force: true });
      await page.waitForTimeout(400);
    },
  },
  {
    name: 'attention-dark',
    query: 'theme=dark&layers=12&heads=12',
    act: async (page) => {
      await tab('attention')(page);
      await page.click('.gb-thumb[data-layer="1"][data-head="0"]');
      await page.hover('.gb-matrix-canvas', { position: { x: 200, y: 220 } });
      await page.waitForTimeout(100);
    },
  },
  {
    name: 'attention-lines-dark',
    query: 'theme=dark',
    act: async (page) => {
      await tab('attention')(page);
      await page.click('vscode-radio[value="lines"]');
      await page.waitForTimeout(100);
      await page.hover('.gb-lines-token[data-side="query"][data-index="11"]');
      await page.waitForTimeout(100);
    },
  },
  {
    name: 'lens-entropy-dark',
    query: 'theme=dark&layers=12&heads=12',
    act: async (page) => {
      await tab('lens')(page);
      await page.evaluate(() => {
        const select = document.querySelector('.gb-lens vscode-single-select') as HTMLElement & { value: string };
        select.value = 'entropy';
        select.dispatchEvent(new Event('change'));
      });
      await page.locator('.gb-grid-scroll').evaluate((e) => e.scrollBy(300, 0));
      await page.waitForTimeout(200);
    },
  },
  {
    name: 'tokens-light',
    query: 'theme=light&random',
    act: async (page) => {
      await page.click('.gb-chip[data-index="9"]');
    },
  },
  { name: 'lens-light', query: 'theme=light&layers=12', act: tab('lens') },
  { name: 'attention-light', query: 'theme=light&layers=6&heads=6', act: tab('attention') },
  { name: 'tokens-hc', query: 'theme=hc', act: async (page) => page.click('.gb-chip[data-index="4"]') },
  { name: 'lens-hc', query: 'theme=hc&layers=6', act: tab('lens') },
  { name: 'lens-512-dark', query: 'theme=dark&tokens=512&layers=12&heads=12', act: tab('lens') },
  { name: 'why-dark', query: 'theme=dark&layers=12&heads=12', act: whyTab },
  { name: 'heads-dark', query: 'theme=dark&layers=12&heads=12', act: async (page) => (await page.click('vscode-tab-header[data-tab="heads"]'), void (await page.waitForSelector('.gb-head-cell'))) },
  { name: 'head-card-dark', query: 'theme=dark&layers=12&heads=12', size: { width: 1000, height: 900 }, act: headCard },
  { name: 'head-card-light-narrow', query: 'theme=light&layers=12&heads=12', size: { width: 320, height: 900 }, act: headCard },
  { name: 'why-light-narrow', query: 'theme=light&layers=6&heads=6', size: { width: 320, height: 900 }, act: whyTab },
  { name: 'lens-change-dark', query: 'theme=dark&layers=12&heads=12', size: { width: 1000, height: 900 }, act: lensChange },
  { name: 'lens-change-light-narrow', query: 'theme=light&layers=12&heads=12', size: { width: 320, height: 900 }, act: lensChange },
  {
    name: 'lens-change-pinned-dark',
    query: 'theme=dark&layers=12&heads=12',
    size: { width: 1000, height: 900 },
    act: async (page) => {
      await compareAttribution(page);
      await tab('lens')(page);
      await lensColour(page, 'change');
    },
  },
  { name: 'compare-attribution-dark', query: 'theme=dark&layers=12&heads=12', size: { width: 1000, height: 900 }, act: compareAttribution },
  { name: 'compare-attribution-light-narrow', query: 'theme=light&layers=12&heads=12', size: { width: 320, height: 900 }, act: compareAttribution },
  { name: 'narrow-tokens-dark', query: 'theme=dark', size: { width: 620, height: 900 }, act: async (page) => page.click('.gb-chip[data-index="3"]') },
  // The fixture's "’" is two tokens, E2 80 and 99, each part of the character: shown by their bytes, never "�".
  { name: 'bytes-tokens-dark', query: 'theme=dark', act: async (page) => page.click('.gb-chip[data-index="17"]') },
  { name: 'bytes-lens-light', query: 'theme=light&layers=6', act: lensCell(6, 16), exportPng: true },
  // The exported figures, which have their own layout: a panel of any width exports the same figure.
  { name: 'export-tokens-dark', query: 'theme=dark', exportPng: true },
  { name: 'export-tokens-4-dark', query: 'theme=dark&tokens=4', exportPng: true },
  { name: 'export-tokens-120-light-narrow', query: 'theme=light&tokens=120', size: { width: 480, height: 900 }, exportPng: true },
  { name: 'export-lens-dark', query: 'theme=dark&layers=6', act: tab('lens'), exportPng: true },
  { name: 'tokens-1000-narrow-light', query: 'theme=light&tokens=1000', size: { width: 320, height: 700 }, window: true, act: blockEdge },
  { name: 'tokens-1000-wide-dark', query: 'theme=dark&tokens=1000&generated=990', size: { width: 1600, height: 900 }, window: true, act: blockEdge },
];

async function main(): Promise<void> {
  execFileSync('npx', ['tsx', join(root, 'webview', 'dev', 'build-preview.ts')], { stdio: 'inherit' });
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--headless=new', '--allow-file-access-from-files'],
  });
  const page0 = pathToFileURL(join(root, 'webview', 'dev', 'preview.html')).href;
  const problems: string[] = [];
  for (const shot of shots.filter((s) => s.name.includes(only))) {
    const page = await browser.newPage({ viewport: shot.size ?? { width: 1400, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${shot.name}: ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${shot.name}: ${e.message}`));
    await page.goto(`${page0}?${shot.query}`);
    await page.waitForTimeout(300);
    await shot.act?.(page);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(out, `${shot.name}.png`), fullPage: !shot.window });
    if (shot.exportPng) writeFileSync(join(out, `${shot.name}-export.png`), await exportedPng(page));
    await page.close();
  }
  await browser.close();
  console.log(`screenshots in ${out}`);
  console.log(problems.length ? problems.join('\n') : 'no console errors or CSP violations');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
