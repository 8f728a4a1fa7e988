// The trained demo model that ships with Glassbox (demo-model/ at the package root; how it was made is in its
// MODEL_CARD.md and scripts/demo-model/). Found from the code that asks, from source (engine/models/) and
// from the bundles (dist/) alike: the first folder above it that holds a demo-model/ folder.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';

const DEMO_MODEL_FOLDER = 'demo-model';

export function demoModelDir(root = packageRoot()): string {
  const dir = join(root, DEMO_MODEL_FOLDER);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    throw new GlassboxError('model-missing', `The demo model is not in ${dir}: this copy of Glassbox was packaged without it.`);
  }
  return dir;
}

/** The nearest folder above this module with a package.json: the repository, or the installed package. */
function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return join(__dirname, '..');
}
