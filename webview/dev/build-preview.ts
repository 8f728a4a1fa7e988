// Builds what the dev preview loads: the panel bundle with the options `npm run build` uses for
// dist/webview.js, and the fake host beside it. Both go to test-output/preview/ (ignored by git): a full
// build empties dist/, and the preview should not break whenever someone else builds.
// Run: npx tsx webview/dev/build-preview.ts
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const browser = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: 'linked', logLevel: 'warning', absWorkingDir: root } as const;

async function main(): Promise<void> {
  const outdir = join(root, 'test-output', 'preview');
  await build({ ...browser, entryPoints: { webview: 'webview/main.ts', 'preview-host': 'webview/dev/preview-host.ts' }, outdir });
  console.log(`built ${outdir}; open webview/dev/preview.html`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
