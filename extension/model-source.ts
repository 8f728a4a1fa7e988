// What `glassbox.model` names: a folder on disk, or a GPT-2 family repo on the Hugging Face Hub.

import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { ModelSource } from '../protocol/model-messages';

/** The GPT-2 family as published on the Hub, with the short names people type. */
export const HUB_MODELS = [
  { repo: 'openai-community/gpt2', short: 'gpt2', detail: '124M parameters, 0.5 GB' },
  { repo: 'distilbert/distilgpt2', short: 'distilgpt2', detail: '82M parameters, 0.35 GB, fastest' },
  { repo: 'openai-community/gpt2-medium', short: 'gpt2-medium', detail: '355M parameters, 1.5 GB' },
  { repo: 'openai-community/gpt2-large', short: 'gpt2-large', detail: '774M parameters, 3.2 GB' },
  { repo: 'openai-community/gpt2-xl', short: 'gpt2-xl', detail: '1.5B parameters, 6.4 GB' },
] as const;

/** The `glassbox.model` value that names the trained demo model shipped in the extension's demo-model/. */
export const DEMO_MODEL_SETTING = 'demo';
export const DEMO_MODEL_DETAIL = 'A small GPT-2 trained by the Glassbox project on the Brown corpus and some code; ships with Glassbox, works offline, 30 MB';

/** `demoDir` is where this copy of Glassbox keeps its demo model (`<extension>/demo-model`). */
export function parseModelSetting(value: string, demoDir: string): ModelSource {
  const v = value.trim();
  if (v === DEMO_MODEL_SETTING) return { kind: 'folder', path: demoDir };
  if (v === '~' || v.startsWith('~/')) return { kind: 'folder', path: join(homedir(), v.slice(1)) };
  if (isAbsolute(v) || v.startsWith('.') || /^[a-zA-Z]:[\\/]/.test(v)) return { kind: 'folder', path: v };
  const known = HUB_MODELS.find((m) => m.short === v || m.repo === v);
  return { kind: 'hub', repo: known ? known.repo : v };
}

/** A short name for the status bar: the repo's name or the folder's last part. */
export function modelLabel(source: ModelSource): string {
  const name = source.kind === 'hub' ? source.repo : source.path;
  if (source.kind === 'folder' && /[\\/]demo-model[\\/]?$/.test(source.path)) return 'demo GPT-2';
  return name.split(/[\\/]/).filter(Boolean).pop() ?? name;
}
