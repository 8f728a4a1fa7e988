// Checking a file against the digest the Hub lists for it. LFS files (the weights) are listed with their SHA-256;
// small files are plain git blobs, listed with their git object id: SHA-1 of "blob <size>\0" + content.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface ContentDigest {
  readonly algorithm: 'sha256' | 'git-blob-sha1';
  /** Lowercase hex. */
  readonly hex: string;
}

/** A running hash of a file's content, fed in order; `bytes` says how much of the file it has seen. */
export interface ContentHasher {
  readonly bytes: number;
  update(chunk: Uint8Array): void;
  matches(): boolean;
}

export function createContentHasher(digest: ContentDigest, size: number): ContentHasher {
  const hash: Hash =
    digest.algorithm === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    update(chunk) {
      hash.update(chunk);
      bytes += chunk.length;
    },
    matches: () => hash.digest('hex') === digest.hex,
  };
}

/** A hasher that has already seen the first `length` bytes of `path` (the part of a download kept on disk). */
export async function hashFilePrefix(
  path: string,
  digest: ContentDigest,
  size: number,
  length: number,
  signal?: AbortSignal,
): Promise<ContentHasher> {
  const hasher = createContentHasher(digest, size);
  if (length > 0) await feed(hasher, path, length - 1, signal);
  return hasher;
}

/** Reads the whole file, so a file longer than `size` fails even if it starts with the right bytes. */
export async function fileMatchesDigest(
  path: string,
  digest: ContentDigest,
  size: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const hasher = createContentHasher(digest, size);
  await feed(hasher, path, undefined, signal);
  return hasher.bytes === size && hasher.matches();
}

async function feed(hasher: ContentHasher, path: string, end: number | undefined, signal?: AbortSignal) {
  const stream = createReadStream(path, { start: 0, end, highWaterMark: 1 << 20, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) hasher.update(chunk);
}

/** The form a digest takes in the manifest and in messages. */
export function formatDigest(digest: ContentDigest): string {
  return `${digest.algorithm}:${digest.hex}`;
}
