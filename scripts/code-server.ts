// code-server (VS Code in the browser) for the end-to-end tests and `npm start` on machines without VS Code.
// It is not a dependency of the project: its postinstall builds native modules and downloads ripgrep, which
// takes ~80 s and fails offline, so it is installed on first use into a cache folder shared by every checkout.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

// 4.100.x is the newest line whose install accepts Node 20 (4.103+ want Node 22). VS Code 1.100.3 inside.
export const CODE_SERVER_VERSION = '4.100.3';

// The versions @vscode/ripgrep (pinned by code-server 4.100.3's lockfile) looks for in its download cache.
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';

const root = join(import.meta.dirname, '..');

/** Where Glassbox keeps what it installs on first use: `$GLASSBOX_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/glassbox`. */
export function glassboxCacheDir(): string {
  const override = process.env['GLASSBOX_CACHE'];
  if (override) return override;
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'glassbox');
}

/** The path of a code-server binary, installing it into the cache first if it is not there yet. */
export async function ensureCodeServer(): Promise<string> {
  const target = join(glassboxCacheDir(), `code-server-${CODE_SERVER_VERSION}`);
  const binary = binaryIn(target);
  if (await isComplete(target)) return binary;

  ensureSystemDeps();
  await mkdir(glassboxCacheDir(), { recursive: true });
  await removeAbandonedStaging();
  // A sibling of the target, so the final rename stays on one filesystem and is atomic. Named with our pid
  // so that a later run can tell an abandoned one (Ctrl+C, a killed CI job: ~300 MB each) from a live one.
  const staging = await mkdtemp(join(glassboxCacheDir(), `${STAGING_PREFIX}${process.pid}-`));
  try {
    await installInto(staging);
    await writeFile(join(staging, COMPLETE_MARKER), `${CODE_SERVER_VERSION}\n`);
    // A target without the marker is a copy that never finished; a rename cannot replace a non-empty folder.
    if (existsSync(target) && !(await isComplete(target))) await rm(target, { recursive: true, force: true });
    await rename(staging, target).catch(async (error: unknown) => {
      // Another process finished the same install first: keep its copy, drop ours.
      if (!(await isComplete(target))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  console.log(`code-server: ready at ${binary}`);
  return binary;
}

const STAGING_PREFIX = `.code-server-${CODE_SERVER_VERSION}-staging-`;

async function removeAbandonedStaging(): Promise<void> {
  for (const name of await readdir(glassboxCacheDir())) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && isAlive(pid)) continue;
    console.log(`code-server: removing an interrupted install (${name})`);
    await rm(join(glassboxCacheDir(), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but not ours to signal
  }
}

// Written last, so a folder without it is an interrupted install (which a rename never leaves, but a user
// copying folders by hand might).
const COMPLETE_MARKER = '.glassbox-complete';

function binaryIn(prefix: string): string {
  return join(prefix, 'node_modules', '.bin', 'code-server');
}

async function isComplete(prefix: string): Promise<boolean> {
  const marker = await readFile(join(prefix, COMPLETE_MARKER), 'utf8').catch(() => '');
  return marker.trim() === CODE_SERVER_VERSION && existsSync(binaryIn(prefix));
}

// code-server's postinstall compiles against kerberos headers and @vscode/ripgrep needs a local `rg` for the
// offline trick below; the script installs them from Debian when it can and says what is missing when not.
function ensureSystemDeps(): void {
  const result = spawnSync('bash', [join(root, 'scripts', 'system-deps.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('code-server: system packages are missing (see above)');
}

async function installInto(prefix: string): Promise<void> {
  const started = Date.now();
  console.log(`code-server: installing ${CODE_SERVER_VERSION} into ${prefix} (first use only, ~80 s)`);
  // A private TMPDIR: @vscode/ripgrep looks for its download in a cache under os.tmpdir() first, so a tarball
  // of Debian's `rg` placed there makes its postinstall succeed without the internet.
  const tmp = join(prefix, '.tmp');
  await seedRipgrepCache(tmp);
  await writeFile(join(prefix, 'package.json'), '{ "private": true }\n');

  const log = join(prefix, 'npm-install.log');
  const env = {
    ...process.env,
    TMPDIR: tmp,
    // npm 6 ran install scripts as `nobody` when root, and nobody cannot write the build folders. npm 7+
    // ignores it (with a warning in the log); kept for machines whose npm is older.
    npm_config_unsafe_perm: 'true',
    // code-server's postinstall runs `npx node-gyp`, which would stop at npx's "ok to proceed?" prompt.
    npm_config_yes: 'true',
    // code-server needs its install scripts (native modules, ripgrep). Under `npm start`/`npm test` npm passes
    // this project's `ignore-scripts=true` (.npmrc) down as an environment variable, which would skip them.
    npm_config_ignore_scripts: 'false',
  };
  const args = ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`];
  const heartbeat = setInterval(() => {
    console.log(`code-server: still installing (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 20_000);
  try {
    const code = await run('npm', args, { cwd: prefix, env, log });
    if (code !== 0) {
      const tail = (await readFile(log, 'utf8')).split('\n').slice(-40).join('\n');
      throw new Error(`code-server: npm install exited with ${code}; last lines of ${log}:\n${tail}`);
    }
  } finally {
    clearInterval(heartbeat);
  }
  await rm(tmp, { recursive: true, force: true });
  console.log(`code-server: installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function seedRipgrepCache(tmp: string): Promise<void> {
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('code-server: `rg` (Debian package ripgrep) is needed to install offline');
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  await mkdir(cache, { recursive: true });
  const tarball = join(cache, `ripgrep-${RIPGREP_RELEASE}-${arch}-unknown-linux-musl.tar.gz`);
  // The release tarballs hold the `rg` binary at their root, which is what the postinstall unpacks.
  const result = spawnSync('tar', ['-czhf', tarball, '-C', join(rg, '..'), 'rg']);
  if (result.status !== 0) throw new Error(`code-server: could not pack ${rg}: ${result.stderr}`);
}

// The install runs in a process group of its own (npm -> sh -> node-gyp -> make) so that it can be ended as a
// whole if we are: an orphaned npm would go on writing into a staging folder the next run deletes.
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(options.log);
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const release = child.pid === undefined ? () => undefined : adoptGroup(child.pid);
    child.on('error', reject);
    child.on('close', (code) => {
      release();
      out.end(() => resolve(code ?? 1));
    });
  });
}

/** The folders that make one code-server profile; nothing is written outside them (nor into the home folder). */
export interface CodeServerProfile {
  userDataDir: string;
  extensionsDir: string;
  /** code-server writes a default config (with a password) to `~/.config` unless given one explicitly. */
  configFile: string;
  /** Environment for the server and everything it starts (extension host, terminals). */
  env: NodeJS.ProcessEnv;
}

/**
 * The parent's environment minus what would make code-server talk to another editor or load our tooling:
 * inside a VS Code terminal, `VSCODE_IPC_HOOK_CLI` makes `--install-extension` go to *that* editor, and
 * `NODE_OPTIONS` (e.g. `--import tsx` from a test runner) would be loaded into every server process.
 */
export function isolatedEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE' || key === 'NODE_OPTIONS') continue;
    if (key === 'NODE_TEST_CONTEXT') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The settings package.json gives the `machine` scope. */
function machineScopedSettings(): Set<string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { scope?: string }> } } };
  return new Set(Object.entries(manifest.contributes.configuration.properties).filter(([, p]) => p.scope === 'machine').map(([key]) => key));
}

/**
 * A new profile in `dir` (which must exist): user settings, an empty extensions folder, and private XDG and
 * temp folders, so removing `dir` removes everything the server and the extension host wrote, including the
 * IPC and Git sockets VS Code otherwise leaves in /tmp (one pair per session).
 */
export async function createProfile(
  dir: string,
  settings: Record<string, unknown>,
  extraEnv: Record<string, string> = {},
  options: ProfileOptions = {},
): Promise<CodeServerProfile> {
  const sub = (name: string): string => join(dir, name);
  for (const name of ['user-data/User', 'extensions', 'config', 'data', 'cache', 'state', 'tmp']) {
    await mkdir(sub(name), { recursive: true });
  }
  await mkdir(join(sub('user-data'), 'Machine'), { recursive: true });
  // code-server's window is a remote one: VS Code applies a machine-scoped setting (glassbox.model) only from the
  // remote's settings, user-data/Machine/settings.json; from the user settings it is read at start-up but
  // dropped on the first change to any setting. Those go to both files.
  const machineKeys = machineScopedSettings();
  const write = async (file: string, pick: (key: string) => boolean): Promise<void> => {
    // A kept profile keeps what the person changed; ours fill in only what they have not set (`override` wins).
    const kept = options.keepUserSettings ? await readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>).catch(() => ({})) : {};
    const merged: Record<string, unknown> = { ...Object.fromEntries(Object.entries(settings).filter(([key]) => pick(key))), ...kept, ...options.override };
    for (const [key, value] of Object.entries(options.override ?? {})) if (value === undefined || !pick(key)) delete merged[key];
    await writeFile(file, JSON.stringify(merged, null, 2));
  };
  await write(join(sub('user-data'), 'User', 'settings.json'), () => true);
  await write(join(sub('user-data'), 'Machine', 'settings.json'), (key) => machineKeys.has(key));
  return {
    userDataDir: sub('user-data'),
    extensionsDir: sub('extensions'),
    configFile: join(sub('config'), 'config.yaml'),
    env: isolatedEnv({
      XDG_CONFIG_HOME: sub('config'),
      XDG_DATA_HOME: sub('data'),
      XDG_CACHE_HOME: sub('cache'),
      XDG_STATE_HOME: sub('state'),
      // Unix socket paths are limited to 108 bytes: keep `dir` short (a mkdtemp under /tmp is), or give a short tmpDir.
      TMPDIR: options.tmpDir ?? sub('tmp'),
      // The XDG cache above is throwaway; what Glassbox installs on first use stays shared.
      GLASSBOX_CACHE: glassboxCacheDir(),
      ...extraEnv,
    }),
  };
}

export interface ProfileOptions {
  /** Keep the settings a person changed in an existing profile (npm start's, which outlives each run). */
  readonly keepUserSettings?: boolean;
  /** Settings that replace whatever is there (undefined removes the key). */
  readonly override?: Record<string, unknown>;
  /** The server's temp folder, when `dir` is too long a path for its sockets. */
  readonly tmpDir?: string;
}

/** `code-server --install-extension`, into the profile's extensions folder. */
export async function installExtension(binary: string, profile: CodeServerProfile, vsix: string): Promise<void> {
  const args = [...profileArgs(profile), '--install-extension', vsix];
  const result = spawnSync(binary, args, { env: profile.env, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

export interface RunningCodeServer {
  /** `http://127.0.0.1:PORT` without a trailing slash. */
  readonly origin: string;
  /** The page that opens `folder` in the workbench. */
  readonly url: string;
  /** Resolves when the server's main process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM to the whole process group, SIGKILL for whatever is left; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  profile: CodeServerProfile;
  folder: string;
  /** stdout and stderr of the server go here (it is chatty, and a test's output should stay readable). */
  logFile: string;
  port?: number;
  /** How long to wait for /healthz. */
  timeoutMs?: number;
  /**
   * A port for the extension host's Node inspector, to profile or debug it with Chrome DevTools
   * (chrome://inspect) or the CDP; by default `$GLASSBOX_INSPECT_EXTENSIONS`, else none. code-server takes no
   * `--inspect-extensions`: the workbench page asks its server for it (the `payload` of `url`), and a page
   * opened without it starts an extension host without an inspector.
   */
  inspectExtensions?: number;
}

/** The extension host's inspector port a developer asked for with `GLASSBOX_INSPECT_EXTENSIONS=port`. */
export function inspectExtensionsPort(): number | undefined {
  const value = process.env['GLASSBOX_INSPECT_EXTENSIONS'];
  if (!value) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`GLASSBOX_INSPECT_EXTENSIONS: expected a port, got ${JSON.stringify(value)}`);
  return port;
}

/** Starts code-server on 127.0.0.1 in its own process group and resolves once `/healthz` answers. */
export async function startCodeServer(options: StartOptions): Promise<RunningCodeServer> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const inspect = options.inspectExtensions ?? inspectExtensionsPort();
  const args = [
    ...profileArgs(options.profile),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    options.folder,
  ];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  // detached: a group of its own, so one signal reaches the extension host, pty host and watchers it forks.
  const child = spawn(options.binary, args, { env: options.profile.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
    log.end();
  });
  const group = child.pid;
  if (group === undefined) throw new Error(`could not start ${options.binary}`);
  const release = adoptGroup(group);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      release();
      if (running) {
        killGroup(group, 'SIGTERM');
        await Promise.race([exited, delay(5_000)]);
      }
      // Always: children that ignored SIGTERM or outlived the main process are still in the group.
      killGroup(group, 'SIGKILL');
    })();
    return stopping;
  };

  try {
    await waitForHealth(origin, exited, options.timeoutMs ?? 60_000, options.logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  const payload = inspect === undefined ? '' : `&payload=${encodeURIComponent(JSON.stringify([['inspect-extensions', String(inspect)]]))}`;
  return { origin, url: `${origin}/?folder=${encodeURIComponent(options.folder)}${payload}`, exited, stop };
}

function profileArgs(profile: CodeServerProfile): string[] {
  return [
    '--user-data-dir', profile.userDataDir,
    '--extensions-dir', profile.extensionsDir,
    '--config', profile.configFile,
  ];
}

// Process groups we started (code-server, an npm install) that must not outlive this process. They are
// detached, so Ctrl+C in a terminal does not reach them, and Node runs no 'exit' listener when a signal
// ends it: without these handlers an interrupted test run would leave servers running.
const liveGroups = new Set<number>();
let handlersInstalled = false;

function adoptGroup(group: number): () => void {
  liveGroups.add(group);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', killLiveGroups);
    for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
      process.on(signal, () => {
        killLiveGroups();
        // Alone, our listener would swallow the signal; others (start.ts, playwright's) exit themselves.
        if (process.listenerCount(signal) === 1) process.exit(128 + number);
      });
    }
  }
  return () => liveGroups.delete(group);
}

function killLiveGroups(): void {
  for (const group of liveGroups) killGroup(group, 'SIGKILL');
  liveGroups.clear();
}

function killGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}

async function waitForHealth(origin: string, exited: Promise<void>, timeoutMs: number, logFile: string): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`code-server exited before it was ready; see ${logFile}`);
    const ok = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await delay(100);
  }
  throw new Error(`code-server did not answer ${origin}/healthz within ${timeoutMs} ms; see ${logFile}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port nobody listens on right now on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
