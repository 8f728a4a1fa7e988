// Runs node's test runner over the .ts test files of the named suites (test/<suite>/**/*.test.ts).
// Node 20's runner does not discover .ts files itself, hence the listing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const suites = process.argv.slice(2);

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

const files = suites.flatMap((suite) => testFiles(join(root, 'test', suite)));
if (files.length === 0) {
  console.error(`no test files in ${suites.map((s) => `test/${s}`).join(', ')}`);
  process.exit(1);
}
// A hung test must fail, not stall CI: no test here takes 10 minutes, and the whole run stops at 45.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=600000', ...files], {
  cwd: root,
  stdio: 'inherit',
  timeout: 45 * 60_000,
  killSignal: 'SIGKILL',
});
if (result.error) console.error(`tests stopped: ${result.error.message}`);
process.exit(result.status ?? 1);
