// What the weights must satisfy before a graph is built on them: every number finite (a NaN anywhere
// spreads to every output, which would then be shown as if it meant something), and a separate output head,
// when a file has one, equal to the tied embedding the graph unembeds with. Run once per cached graph: a
// full pass over the file (GPT-2 small: 0.5 GB, about a second).

import { closeSync, openSync, readSync } from 'node:fs';
import { GlassboxError } from '../../protocol/errors';
import type { Gpt2Weights } from './gpt2-weights';
import type { SafetensorsIndex, TensorEntry } from './safetensors';

const CHUNK_BYTES = 1 << 24;

export function checkGpt2Weights(index: SafetensorsIndex, weights: Gpt2Weights): void {
  const fd = openSync(index.path, 'r');
  try {
    for (const [name, entry] of weights) {
      const bad = firstNonFinite(fd, entry);
      if (bad !== null) {
        throw new GlassboxError('model-corrupt', `${index.path}: tensor "${name}" holds ${bad.value} at index ${bad.index}; Glassbox refuses weights that are not finite numbers.`);
      }
    }
    const head = index.tensors.get('lm_head.weight') ?? index.tensors.get('transformer.lm_head.weight');
    const wte = weights.get('wte.weight');
    if (head !== undefined && wte !== undefined && !sameBytes(fd, head, wte)) {
      throw new GlassboxError('model-unsupported', `${index.path}: "lm_head.weight" differs from "wte.weight"; Glassbox runs GPT-2 with its output head tied to the embedding (tie_word_embeddings).`);
    }
  } finally {
    closeSync(fd);
  }
}

/** The first NaN or ±Infinity of an F32 tensor, read in chunks. */
function firstNonFinite(fd: number, entry: TensorEntry): { index: number; value: string } | null {
  const buffer = new Float32Array(CHUNK_BYTES / 4);
  const bytes = new Uint8Array(buffer.buffer);
  for (let done = 0; done < entry.byteLength; ) {
    const n = readSync(fd, bytes, 0, Math.min(CHUNK_BYTES, entry.byteLength - done), entry.offset + done);
    if (n === 0) break;
    const count = n / 4;
    for (let i = 0; i < count; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one test instead of two.
      if (buffer[i] - buffer[i] !== 0) return { index: done / 4 + i, value: String(buffer[i]) };
    }
    done += n;
  }
  return null;
}

function sameBytes(fd: number, a: TensorEntry, b: TensorEntry): boolean {
  if (a.dtype !== b.dtype || a.byteLength !== b.byteLength || a.shape.join() !== b.shape.join()) return false;
  const left = Buffer.alloc(CHUNK_BYTES);
  const right = Buffer.alloc(CHUNK_BYTES);
  for (let done = 0; done < a.byteLength; ) {
    const length = Math.min(CHUNK_BYTES, a.byteLength - done);
    readSync(fd, left, 0, length, a.offset + done);
    readSync(fd, right, 0, length, b.offset + done);
    if (!left.subarray(0, length).equals(right.subarray(0, length))) return false;
    done += length;
  }
  return true;
}
