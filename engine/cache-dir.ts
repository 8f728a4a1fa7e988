// Where the CLI keeps derived graphs when no folder is given (the extension passes its global storage).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultCacheDir(): string {
  return process.env.GLASSBOX_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'glassbox');
}
