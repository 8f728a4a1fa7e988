// Readers for validating messages where they enter a process or a page. Each reader returns the checked
// value or throws InvalidMessage naming the path of the first bad field; parsers turn that into `{error}`.

import type { Float32Tensor, Int32Tensor } from './tensor';

export class InvalidMessage extends Error {}

export type Fields = Readonly<Record<string, unknown>>;
export type Reader<T> = (value: unknown, path: string) => T;

export function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new InvalidMessage(`${path}: expected ${expected}, got ${got}`);
}

export function record(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Fields;
}

export function string(value: unknown, path: string): string {
  return typeof value === 'string' ? value : fail(path, 'a string', value);
}

export function boolean(value: unknown, path: string): boolean {
  return typeof value === 'boolean' ? value : fail(path, 'a boolean', value);
}

export function finite(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fail(path, 'a finite number', value);
}

export function integer(value: unknown, path: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  return fail(path, min === 0 ? 'a non-negative integer' : 'an integer', value);
}

export function oneOf<T extends string>(options: readonly T[]): Reader<T> {
  return (value, path) =>
    (options as readonly unknown[]).includes(value) ? (value as T) : fail(path, options.join(' | '), value);
}

export function nullable<T>(read: Reader<T>): Reader<T | null> {
  return (value, path) => (value === null ? null : read(value, path));
}

export function array<T>(read: Reader<T>): Reader<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, 'an array', value);
    // Array.from visits the holes of a sparse array (map skips them), so a hole is read and refused.
    return Array.from(value, (item, i) => read(item, `${path}[${i}]`));
  };
}

// Typed arrays are recognised by tag, not `instanceof`: a message may be cloned from another realm.
function typedArray<T>(tag: string): (value: unknown) => value is T {
  return (value): value is T => ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === `[object ${tag}]`;
}
const isFloat32Array = typedArray<Float32Array>('Float32Array');
const isInt32Array = typedArray<Int32Array>('Int32Array');

function tensorWith<T extends Float32Tensor | Int32Tensor>(
  isData: (value: unknown) => boolean,
  kind: string,
): (value: unknown, path: string, dims: readonly number[]) => T {
  return (value, path, dims) => {
    const fields = record(value, path);
    const actual = array((v, p) => integer(v, p, 0))(fields.dims, `${path}.dims`);
    if (actual.length !== dims.length || actual.some((d, i) => d !== dims[i])) {
      throw new InvalidMessage(`${path}.dims: expected [${dims.join(', ')}], got [${actual.join(', ')}]`);
    }
    if (!isData(fields.data)) fail(`${path}.data`, `a ${kind}`, fields.data);
    const length = (fields.data as Float32Array | Int32Array).length;
    const count = actual.reduce((n, d) => n * d, 1);
    if (length !== count) throw new InvalidMessage(`${path}.data: expected ${count} elements, got ${length}`);
    return { dims: actual, data: fields.data } as unknown as T;
  };
}
export const float32Tensor = tensorWith<Float32Tensor>(isFloat32Array, 'Float32Array');
export const int32Tensor = tensorWith<Int32Tensor>(isInt32Array, 'Int32Array');
