// A real VS Code for end-to-end tests: code-server on loopback, driven in Debian's Chromium by playwright-core.
// Every session has a fresh profile in a temp folder and leaves nothing behind, also when a test fails:
// call `close()` from an `after` hook or a `finally`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import {
  createProfile,
  ensureCodeServer,
  installExtension,
  isolatedEnv,
  startCodeServer,
  type RunningCodeServer,
} from '../../scripts/code-server';

const root = resolve(import.meta.dirname, '..', '..');

// Temp folders of open sessions. close() removes them; this covers a run ended by Ctrl+C, where no async
// cleanup runs but a process.exit() does (ours in scripts/code-server.ts, or playwright's).
const liveTemps = new Set<string>();
process.on('exit', () => {
  for (const dir of liveTemps) rmSync(dir, { recursive: true, force: true });
});

async function makeTemp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  liveTemps.add(dir);
  return dir;
}

async function removeTemp(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveTemps.delete(dir);
}

/** Where screenshots go (gitignored). */
export const OUTPUT_DIR = join(root, 'test-output', 'e2e');

/**
 * Settings of the fresh profile. Each one removes a prompt, a background download or something that would
 * take a key press meant for the editor.
 */
export const FRESH_PROFILE_SETTINGS: Readonly<Record<string, unknown>> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  // 1.100 opens a chat view in the secondary side bar and offers AI setup otherwise.
  'chat.disableAIFeatures': true,
  // Suggestion widgets would take Tab and Enter away from inline completions (ghost text).
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.wordBasedSuggestions': 'off',
  'editor.suggestOnTriggerCharacters': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

export interface VsCodeSessionOptions {
  /** The extension to install, as a .vsix file. */
  vsix: string;
  /** The folder to open in the workbench. */
  workspace: string;
  /** User settings, written over FRESH_PROFILE_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and the extension host. */
  env?: Record<string, string>;
  /** A port for the extension host's Node inspector (see StartOptions.inspectExtensions). */
  inspectExtensions?: number;
}

export interface VsCodeSession {
  readonly page: Page;
  /** The workbench page's address. */
  readonly url: string;
  readonly workspace: string;
  /** Runs a command by its palette title as the user sees it, e.g. `Glassbox: Show Log`. */
  runCommand(title: string): Promise<void>;
  /** Opens a file of the workspace with Quick Open and waits for its editor tab. */
  openFile(relPath: string): Promise<void>;
  /**
   * The document inside a webview, found by the title of its panel or by its index among the webviews
   * (in DOM order). Waits for it to exist.
   */
  webviewFrame(titleOrIndex: string | number): Promise<FrameLocator>;
  /** Saves a PNG of the page to `test-output/e2e/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /** The server's (and so the extension host's) output so far, for failure messages. */
  serverLog(): string;
  /** Closes the browser, ends the server's process group and removes the temp folders. Safe to call twice. */
  close(): Promise<void>;
}

/** Debian's Chromium, installing it when missing and we are root; undefined when it cannot be had. */
export function findChromium(): string | undefined {
  const override = process.env['GLASSBOX_CHROMIUM'];
  if (override) return override;
  const lookup = (): string => spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (lookup()) return lookup();
  spawnSync('bash', [join(root, 'scripts', 'system-deps.sh')], { stdio: 'inherit' });
  return lookup() || undefined;
}

/**
 * Runs `npm run build` in this repository. Test files may run in parallel and the build empties dist/ first,
 * so builds (and the packaging that reads dist/) take turns under a lock file.
 */
export function buildRepository(): void {
  inRepoLocked('npm run build');
}

/**
 * Builds this machine's platform VSIX (what `npm run package` makes for users: only this platform's
 * onnxruntime binaries) into `outDir` and returns its path.
 */
export function packageVsix(outDir: string): string {
  const target = `${process.platform}-${process.arch}`;
  inRepoLocked(`npm run build && npx tsx scripts/package.ts --target ${target} --out ${JSON.stringify(outDir)}`);
  const vsix = readdirSync(outDir).find((f) => f.startsWith(`glassbox-${target}-`) && f.endsWith('.vsix'));
  if (!vsix) throw new Error(`no ${target} VSIX in ${outDir}`);
  return join(outDir, vsix);
}

function inRepoLocked(script: string): void {
  const lock = join(tmpdir(), 'glassbox-e2e-build.lock');
  const result = spawnSync('flock', [lock, 'sh', '-c', script], { cwd: root, encoding: 'utf8', env: isolatedEnv({}) });
  if (result.status !== 0) throw new Error(`${script} failed (${result.status}):\n${result.stdout}${result.stderr}`);
}

/** Installs `vsix` into a fresh profile, serves `workspace` with code-server and opens it in Chromium. */
export async function startVsCode(options: VsCodeSessionOptions): Promise<VsCodeSession> {
  const binary = await ensureCodeServer();
  const temp = await makeTemp('glassbox-e2e-');
  let server: RunningCodeServer | undefined;
  const stopServer = async (): Promise<void> => {
    await server?.stop();
    await removeTemp(temp);
  };
  try {
    const profile = await createProfile(temp, { ...FRESH_PROFILE_SETTINGS, ...options.settings }, options.env);
    await installExtension(binary, profile, options.vsix);
    const logFile = join(temp, 'code-server.log');
    server = await startCodeServer({ binary, profile, folder: resolve(options.workspace), logFile, inspectExtensions: options.inspectExtensions });
    return await openWorkbench(server.url, { workspace: options.workspace, logFile, onClose: stopServer });
  } catch (error) {
    await stopServer();
    throw error;
  }
}

export interface OpenWorkbenchOptions {
  /** The folder the page shows (for the session's record; the URL decides what is opened). */
  workspace: string;
  /** The server's log file, if known, for `serverLog()`. */
  logFile?: string;
  /** Runs after the browser has closed, from `close()` or when opening fails. */
  onClose?: () => Promise<void>;
}

/** Opens a workbench that is already being served at `url` (e.g. by `npm start`) in a new Chromium. */
export async function openWorkbench(url: string, options: OpenWorkbenchOptions): Promise<VsCodeSession> {
  let browser: Browser | undefined;
  // Chromium keeps its crash database under ~/.config/chromium whatever its profile folder is.
  const browserHome = await makeTemp('glassbox-chromium-');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await browser?.close().catch(() => undefined);
      await removeTemp(browserHome);
      await options.onClose?.();
    })();
    return closing;
  };
  try {
    const executablePath = findChromium();
    if (!executablePath) throw new Error('chromium is not installed (run scripts/system-deps.sh as root)');
    browser = await chromium.launch({
      executablePath,
      headless: true,
      env: { ...process.env, XDG_CONFIG_HOME: join(browserHome, 'config'), XDG_CACHE_HOME: join(browserHome, 'cache') },
      args: [
        '--no-sandbox', // root in a container: the setuid sandbox cannot start
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--headless=new',
        // The machine's network is closed: these stop Chromium from retrying Google's hosts all run long.
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    // Earlier landmarks (.monaco-workbench, the activity bar) appear before the workbench has restored.
    await page.locator('.explorer-item').first().waitFor({ timeout: 60_000 });
    return makeSession(page, url, resolve(options.workspace), options.logFile, close);
  } catch (error) {
    await close();
    throw error;
  }
}

function makeSession(
  page: Page,
  url: string,
  workspace: string,
  logFile: string | undefined,
  close: () => Promise<void>,
): VsCodeSession {
  const quickInput = page.locator('.quick-input-widget input.input');
  const quickRows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

  // Retries cover races seen here: the command list is computed when the palette opens, so a palette opened
  // before the extension host has registered the extension's contributions never lists them; and the widget
  // closes when something takes focus (a webview that has just opened, a welcome page while the workbench
  // settles).
  async function pick(opener: string, text: string, wanted: Locator): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      if (await tryPick(opener, text, wanted)) return;
      if (Date.now() > deadline) throw new Error(`${opener} "${text}": the entry never appeared (${attempt} attempts)`);
    }
  }

  async function tryPick(opener: string, text: string, wanted: Locator): Promise<boolean> {
    await page.keyboard.press(opener);
    if (!(await succeeds(quickInput.waitFor({ state: 'visible', timeout: 5_000 })))) return false;
    if (!(await succeeds(quickInput.fill(text, { timeout: 2_000 })))) return false;
    // Filtering is asynchronous: Enter before the row is there would run whatever was first a moment ago.
    const row = wanted.first();
    if (!(await succeeds(row.waitFor({ timeout: 5_000 })))) {
      await page.keyboard.press('Escape');
      return false;
    }
    const focused = wanted.and(page.locator('.monaco-list-row.focused'));
    if (await succeeds(focused.waitFor({ timeout: 2_000 }))) {
      await page.keyboard.press('Enter');
    } else {
      // Either the widget closed under us (a webview opened by the previous command took focus) or another
      // entry ranks first (a recently used one): retry the first, click ours in the second.
      if (!(await quickInput.isVisible())) return false;
      if (!(await succeeds(row.click({ timeout: 2_000 })))) return false;
    }
    await quickInput.waitFor({ state: 'hidden' });
    return true;
  }

  return {
    page,
    url,
    workspace,
    async runCommand(title) {
      // A row's aria-label is its label, then ", " and a keybinding or note if it has one; matching it whole
      // keeps "Probe: Open" from picking "Probe: Open Two".
      const label = JSON.stringify(title);
      const comma = JSON.stringify(`${title}, `);
      await pick('F1', `>${title}`, quickRows.and(page.locator(`:is([aria-label=${label}], [aria-label^=${comma}])`)));
    },
    async openFile(relPath) {
      const name = basename(relPath);
      await pick('Control+P', relPath, quickRows.filter({ hasText: name }));
      await page.locator('.tabs-container .tab.active').filter({ hasText: name }).waitFor();
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor();
    },
    async webviewFrame(titleOrIndex) {
      const outer = page.locator('iframe.webview.ready');
      if (typeof titleOrIndex === 'number') {
        await outer.nth(titleOrIndex).waitFor({ state: 'attached' });
        const name = await outer.nth(titleOrIndex).getAttribute('name');
        return innerFrame(page, name);
      }
      // The inner frame carries the panel's title (VS Code's webview host sets it on `#active-frame`).
      const titled = `iframe#active-frame[title=${JSON.stringify(titleOrIndex)}]`;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        for (let i = 0, n = await outer.count(); i < n; i++) {
          if ((await outer.nth(i).contentFrame().locator(titled).count()) > 0) {
            return innerFrame(page, await outer.nth(i).getAttribute('name'));
          }
        }
        await page.waitForTimeout(100); // polling a condition across frames; no single selector spans them
      }
      throw new Error(`no webview titled ${JSON.stringify(titleOrIndex)} within 30 s`);
    },
    async screenshot(name) {
      await mkdir(OUTPUT_DIR, { recursive: true });
      const path = join(OUTPUT_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    serverLog() {
      return logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
    close,
  };
}

/**
 * Runs one test step; if it throws, saves a screenshot and the server log as `test-output/e2e/<name>-failure.*`
 * and rethrows with their paths, so a red run in CI can be read afterwards.
 */
export async function withFailureArtifacts<T>(session: VsCodeSession, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const shot = await session.screenshot(`${name}-failure`).catch(() => 'no screenshot');
    const log = join(OUTPUT_DIR, `${name}-failure.log`);
    await writeFile(log, session.serverLog()).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n(screenshot: ${shot}; server log: ${log})`, { cause: error });
  }
}

function succeeds(action: Promise<unknown>): Promise<boolean> {
  return action.then(
    () => true,
    () => false,
  );
}

// By the outer iframe's name (the webview's id): stable while other webviews open and close around it.
function innerFrame(page: Page, name: string | null): FrameLocator {
  if (!name) throw new Error('webview iframe without a name');
  return page.frameLocator(`iframe.webview.ready[name=${JSON.stringify(name)}]`).frameLocator('iframe#active-frame');
}
