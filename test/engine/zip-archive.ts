// The entries of a zip archive (a VSIX), read with node:zlib alone so the tests need no `unzip` on the machine.
// Enough for what vsce writes: stored or deflated entries, no ZIP64, no encryption. Sizes and offsets come from
// the central directory at the end, since local headers may defer theirs to a data descriptor.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** The path inside the archive, `/`-separated; folders end with `/`. */
  readonly name: string;
  readonly size: number;
  read(): Buffer;
}

const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

export function readZip(path: string): ZipEntry[] {
  const zip = readFileSync(path);
  const end = zip.lastIndexOf(END_OF_CENTRAL_DIRECTORY);
  if (end < 0) throw new Error(`${path} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_HEADER) throw new Error(`${path}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const read = (): Buffer => {
      if (zip.readUInt32LE(local) !== LOCAL_HEADER) throw new Error(`${path}: bad local header for ${name}`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compressedSize);
      if (method === STORED) return raw;
      if (method === DEFLATED) return inflateRawSync(raw);
      throw new Error(`${path}: ${name} uses compression method ${method}`);
    };
    entries.push({ name, size, read });
  }
  return entries;
}

/** Writes every file of the archive under `dir`. */
export function extractZip(path: string, dir: string): void {
  for (const entry of readZip(path)) {
    if (entry.name.endsWith('/')) continue;
    if (entry.name.split('/').includes('..')) throw new Error(`${path}: ${entry.name} points outside the archive`);
    const file = join(dir, entry.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry.read());
  }
}
