// The model folder remembers which files it has verified, so a restart trusts a 6 GB file it checked before
// instead of reading all of it again. A record holds only while the file on disk keeps the size and modification
// time it had when verified, and only for the digest it was verified against.
import type { Stats } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDigest } from './content-hash';
import type { HubFile } from './hub-files';

/** A dot file, so nothing that reads the model folder mistakes it for part of the model. */
export const MANIFEST_FILE = '.glassbox-manifest.json';

interface VerifiedRecord {
  readonly size: number;
  readonly mtimeMs: number;
  /** `formatDigest` of what the file was checked against; null when the Hub listed no digest. */
  readonly digest: string | null;
}

export class VerifiedManifest {
  private constructor(
    private readonly dir: string,
    private readonly records: Map<string, VerifiedRecord>,
  ) {}

  /** An unreadable or malformed manifest is an empty one: the price is one re-hash, never a wrong answer. */
  static async load(dir: string): Promise<VerifiedManifest> {
    const records = new Map<string, VerifiedRecord>();
    try {
      const json: unknown = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
      const files = isRecord(json) && json.version === 1 && isRecord(json.files) ? json.files : {};
      for (const [path, value] of Object.entries(files)) {
        const record = parseRecord(value);
        if (record) records.set(path, record);
      }
    } catch {
      // No manifest yet, or a broken one: start empty.
    }
    return new VerifiedManifest(dir, records);
  }

  /** Whether `file` is on disk, verified against exactly the size and digest the Hub lists now. */
  async holds(file: HubFile): Promise<boolean> {
    const record = this.records.get(file.path);
    const digest = file.digest ? formatDigest(file.digest) : null;
    if (record === undefined || record.size !== file.size || record.digest !== digest) return false;
    return await this.unchanged(file.path);
  }

  /** Whether `path` is on disk as it was verified, whatever the Hub lists now: enough to work offline. */
  async holdsPath(path: string): Promise<boolean> {
    return this.records.has(path) ? await this.unchanged(path) : false;
  }

  /** Paths recorded without a digest (the Hub listed none): checked for size only, never for content. */
  unverified(): string[] {
    return [...this.records].filter(([, record]) => record.digest === null).map(([path]) => path).sort();
  }

  async record(file: HubFile): Promise<void> {
    const { size, mtimeMs } = await stat(join(this.dir, file.path));
    this.records.set(file.path, { size, mtimeMs, digest: file.digest ? formatDigest(file.digest) : null });
    await this.save();
  }

  async forget(path: string): Promise<void> {
    if (this.records.delete(path)) await this.save();
  }

  private async unchanged(path: string): Promise<boolean> {
    const record = this.records.get(path);
    const stats = await stat(join(this.dir, path)).catch((): Stats | undefined => undefined);
    if (record === undefined || stats === undefined || !stats.isFile()) return false;
    return stats.size === record.size && stats.mtimeMs === record.mtimeMs;
  }

  /** Written aside and renamed, so a crash leaves the old manifest or the new one, never half of one. */
  private async save(): Promise<void> {
    const path = join(this.dir, MANIFEST_FILE);
    const files = Object.fromEntries(this.records);
    await writeFile(`${path}.tmp`, `${JSON.stringify({ version: 1, files }, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
  }
}

function parseRecord(value: unknown): VerifiedRecord | undefined {
  if (!isRecord(value)) return undefined;
  const { size, mtimeMs, digest } = value;
  if (typeof size !== 'number' || typeof mtimeMs !== 'number') return undefined;
  if (digest !== null && typeof digest !== 'string') return undefined;
  return { size, mtimeMs, digest };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
