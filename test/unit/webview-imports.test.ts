import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

// The webview is a browser page under a strict CSP: it may import its own modules, the shared protocol and
// a few browser packages, never `vscode`, node built-ins, or the host's and engine's code. webview/dev/ is
// tooling that runs in node and is not bundled.
const root = join(import.meta.dirname, '..', '..', 'webview');
const allowedPackages = [/^@vscode-elements\/elements\//, /^d3-scale-chromatic$/, /^d3-interpolate$/];

function specifiers(source: string): string[] {
  // `import … from 'x'` (possibly over several lines, never past a semicolon) and bare `import 'x'`.
  const pattern = /^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((m) => m[1] ?? m[2]);
}

test('webview modules import only their own room, the protocol and browser packages', () => {
  // A page of its own (webview/compare-completions/) is in the room too.
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith(`dev${sep}`));
  assert.ok(files.length > 10);
  assert.ok(files.some((f) => f.includes(sep)), 'the scan reaches the pages in sub-folders');
  for (const file of files) {
    for (const spec of specifiers(readFileSync(join(root, file), 'utf8'))) {
      const target = spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : null;
      const ok = target === null ? allowedPackages.some((p) => p.test(spec)) : !target.startsWith('..') || target.startsWith(`..${sep}protocol${sep}`);
      assert.ok(ok, `webview/${file} imports ${spec}`);
    }
  }
});

test('the import scan sees every form it must judge', () => {
  const source = "import type { A } from './a';\nimport '@vscode-elements/elements/dist/vscode-tabs/index.js';\nexport { b } from 'vscode';";
  assert.deepEqual(specifiers(source), ['./a', '@vscode-elements/elements/dist/vscode-tabs/index.js', 'vscode']);
});
