// The trained demo model that ships with Glassbox (demo-model/ at the package root; how it was made is in its
// MODEL_CARD.md and scripts/demo-model/). Found beside the code that asks, from source (engine/) and from
// the bundles (dist/) alike, since both sit one level below the root.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GlassboxError } from '../protocol/errors';

export const DEMO_MODEL_FOLDER = 'demo-model';
/** What the views and notices call it. */
export const DEMO_MODEL_NAME = 'Glassbox demo GPT-2 (trained on the Brown corpus and code)';

export function demoModelDir(root = join(__dirname, '..')): string {
  const dir = join(root, DEMO_MODEL_FOLDER);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    throw new GlassboxError('model-missing', `The demo model is not in ${dir}: this copy of Glassbox was packaged without it.`);
  }
  return dir;
}
