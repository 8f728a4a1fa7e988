// `npm start`: build, then open the sample workspace in an editor that runs this checkout as an extension.
// With VS Code on PATH that is `code --extensionDevelopmentPath`; without it (servers, CI machines, this
// project's own machines) it is code-server in the browser, with the repository linked in as an extension.
// Offline (the Hub does not answer, or GLASSBOX_OFFLINE=1) it opens the trained demo model in demo-model/.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createProfile, ensureCodeServer, glassboxCacheDir, startCodeServer, type RunningCodeServer } from './code-server';
import { DEMO_MODEL_SETTING, demoModelNotice, hubReachable } from './demo-model';

const root = join(import.meta.dirname, '..');
const sample = join(root, 'sample');

// A quiet profile for a person: no telemetry, update checks, welcome page or trust prompt. Unlike the test
// profile it keeps suggestions on, since someone is typing.
const SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  // sample/ sits inside this repository; Git would otherwise ask whether to open the parent repository.
  'git.openRepositoryInParentFolders': 'never',
};

async function main(): Promise<void> {
  // --no-build: dist/ is already fresh (a watcher runs, or a test built it under its own lock).
  if (!process.argv.includes('--no-build')) build();
  // Null: the setting's default, GPT-2 from the Hub, downloaded on first use.
  const model = (await hubReachable()) ? null : DEMO_MODEL_SETTING;
  if (model) console.log(`\n${demoModelNotice()}\n`);
  // GLASSBOX_EDITOR=code-server forces the browser route even where VS Code is installed.
  if (process.env['GLASSBOX_EDITOR'] !== 'code-server' && onPath('code')) {
    await setSampleModel(model);
    const result = spawnSync('code', [`--extensionDevelopmentPath=${root}`, sample], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  // Offline the demo model; online the setting goes back to its default (GPT-2), unless the person chose another.
  await runCodeServer(model);
}

// Desktop VS Code runs with the person's own profile, whose user settings are not ours to change: the demo
// model goes into the sample folder's workspace settings instead, and comes out again once the Hub answers.
async function setSampleModel(model: string | null): Promise<void> {
  const file = join(sample, '.vscode', 'settings.json');
  let settings: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      console.log(`(${file} is not plain JSON; set "glassbox.model" there yourself.)`);
      return;
    }
  }
  if (model) settings['glassbox.model'] = model;
  else if (settings['glassbox.model'] === DEMO_MODEL_SETTING) delete settings['glassbox.model'];
  else return;
  await mkdir(join(sample, '.vscode'), { recursive: true });
  await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
}

function build(): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** npm start's code-server profile: kept between runs, so settings and the open workspace survive (tests give their own). */
const PROFILE_DIR = process.env['GLASSBOX_START_PROFILE'] || join(glassboxCacheDir(), 'start-profile');
/** Where npm start serves, unless GLASSBOX_PORT says otherwise or it is taken. */
const DEFAULT_PORT = 8470;

async function runCodeServer(model: string | null): Promise<void> {
  const binary = await ensureCodeServer();
  // The temp folder is per run (short, for the server's sockets); the profile is kept.
  const temp = await mkdtemp(join(tmpdir(), 'glassbox-start-'));
  let server: RunningCodeServer | undefined;
  // One shutdown, whoever asks first (Ctrl+C, or the server dying); exit only once it has finished.
  let shutdown: Promise<void> | undefined;
  const shutDown = (code: number): void => {
    shutdown ??= (async () => {
      await server?.stop();
      await rm(temp, { recursive: true, force: true });
    })();
    void shutdown.then(() => process.exit(code));
  };
  process.on('SIGINT', () => shutDown(0));
  process.on('SIGTERM', () => shutDown(0));

  try {
    const profile = await createProfile(PROFILE_DIR, SETTINGS, {}, {
      keepUserSettings: true,
      tmpDir: temp,
      // The demo model offline; online a demo left from an offline start gives way to the default.
      override: { 'glassbox.model': model ?? undefined },
    });
    await linkRepositoryAsExtension(profile.extensionsDir);
    const logFile = join(temp, 'code-server.log');
    const port = process.env['GLASSBOX_PORT'] ? Number(process.env['GLASSBOX_PORT']) : (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : undefined;
    server = await startCodeServer({ binary, profile, folder: sample, logFile, ...(port ? { port } : {}) });
    console.log(`\nGlassbox is running in code-server: ${server.url}`);
    console.log(`(profile: ${PROFILE_DIR}; server log: ${logFile}; after \`npm run build\`, run "Developer: Reload Window"; Ctrl+C stops)`);
    await server.exited;
    if (!shutdown) {
      console.error(`code-server exited on its own; its log was:\n${readFileSync(logFile, 'utf8')}`);
      shutDown(1);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    shutDown(1);
  }
}

// code-server has no --extensionDevelopmentPath. An extensions folder without an extensions.json is scanned
// for `publisher.name-version` folders, and a symlink to the repository is one: the server loads
// dist/extension.js from the working tree, so a rebuild plus a window reload shows a change.
async function linkRepositoryAsExtension(extensionsDir: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  const link = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  // The kept profile may hold the link from an earlier run (perhaps to another checkout): point it here.
  await rm(link, { force: true });
  await symlink(root, link, 'dir');
}

/** Whether nothing listens on 127.0.0.1:`port`. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
