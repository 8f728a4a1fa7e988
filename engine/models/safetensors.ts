// The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. Only the header is parsed eagerly, because the ONNX
// graph points into the file's data instead of copying it.

import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { GlassboxError } from '../../protocol/errors';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export interface TensorEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface SafetensorsIndex {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

// Real headers are a few tens of KB; anything near this is not a safetensors file.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function corrupt(path: string, why: string): GlassboxError {
  return new GlassboxError('model-corrupt', `${path} is not a valid safetensors file: ${why}.`);
}

export function readSafetensorsIndex(path: string): SafetensorsIndex {
  let fileSize: number;
  try {
    fileSize = statSync(path).size;
  } catch {
    throw new GlassboxError('model-missing', `Model weights not found: ${path}.`);
  }
  if (fileSize < 8) throw corrupt(path, `it is only ${fileSize} bytes long`);
  const fd = openSync(path, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
      throw corrupt(path, `its header claims ${headerLength} bytes but the file has ${fileSize}`);
    }
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    let header: unknown;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch {
      throw corrupt(path, 'its header is not JSON');
    }
    return parseHeader(path, header, 8 + headerLength, fileSize);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, header: unknown, dataStart: number, fileSize: number): SafetensorsIndex {
  if (!isObject(header)) throw corrupt(path, 'its header is not an object');
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) throw corrupt(path, '__metadata__ is not a map of strings');
      metadata = value as Record<string, string>;
      continue;
    }
    if (!isObject(value)) throw corrupt(path, `tensor ${name} is not a {dtype, shape, data_offsets} entry`);
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = entry.dtype as SafetensorsDtype;
    if (!(typeof dtype === 'string' && dtype in DTYPE_BYTES)) throw corrupt(path, `tensor ${name} has unknown dtype ${String(entry.dtype)}`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw corrupt(path, `tensor ${name} has a bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw corrupt(path, `tensor ${name} has bad data offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((n, d) => n * d, DTYPE_BYTES[dtype]);
    if (end - begin !== expected) throw corrupt(path, `tensor ${name} holds ${end - begin} bytes, its shape needs ${expected}`);
    if (dataStart + end > fileSize) throw corrupt(path, `tensor ${name} runs past the end of the file (truncated download?)`);
    tensors.set(name, { dtype, shape: shape as number[], offset: dataStart + begin, byteLength: end - begin });
  }
  // Two tensors sharing bytes would make a write to one change the other; the format forbids it.
  const ranges = [...tensors].filter(([, t]) => t.byteLength > 0).sort(([, a], [, b]) => a.offset - b.offset);
  for (let i = 1; i < ranges.length; i++) {
    const [previousName, previous] = ranges[i - 1];
    const [name, entry] = ranges[i];
    if (entry.offset < previous.offset + previous.byteLength) throw corrupt(path, `tensors ${previousName} and ${name} overlap`);
  }
  return { path, tensors, metadata };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an F32 tensor's data: for tests and tools, and for the few rows and vectors attribution needs (the
 * graph itself never copies weights).
 */
export function readFloat32Tensor(index: SafetensorsIndex, name: string): Float32Array {
  const entry = index.tensors.get(name);
  if (!entry) throw new GlassboxError('model-corrupt', `${index.path} has no tensor ${name}.`);
  return readFloat32Entry(index.path, entry, name);
}

/** An F32 tensor's data, or `length` floats of it from element `start`. */
export function readFloat32Entry(path: string, entry: TensorEntry, name: string, start = 0, length = entry.byteLength / 4 - start): Float32Array {
  if (entry.dtype !== 'F32') throw new GlassboxError('model-unsupported', `Tensor ${name} is ${entry.dtype}; only F32 is read.`);
  const fd = openSync(path, 'r');
  try {
    const data = new Float32Array(length);
    readSync(fd, new Uint8Array(data.buffer), 0, length * 4, entry.offset + start * 4);
    return data;
  } finally {
    closeSync(fd);
  }
}

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Writes F32 tensors in the given order, so the same tensors always give the same bytes. */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string>): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  // A part at a time: a GPT-2 large is 3 GB, over what one buffer or one write may hold.
  const fd = openSync(path, 'w');
  try {
    for (const part of [length, headerBytes, ...tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]) writeAll(fd, part);
  } finally {
    closeSync(fd);
  }
}

/** writeSync writes at most 2 GiB a call, and may write less than it is given. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 2 ** 30));
}
