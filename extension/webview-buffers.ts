// VS Code posts a typed array to a webview with the whole ArrayBuffer under it (extHostWebview's
// serializeWebviewMessage ships `view.buffer` and the view's offset, not the view's bytes). The typed arrays of
// an answer from the model process are often views on the whole IPC message they arrived in: Node's
// `advanced` serialization deserializes an aligned typed array in place. At 1,000 tokens that message holds
// the carried layer's attention patterns (~24 MB), which the extension host then sent with an inspection it
// posted without them, and the workbench and the webview received and copied again.

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/**
 * `value` (plain objects, arrays, typed arrays: what a webview message holds) with every typed array that is a
 * view on a larger buffer replaced by a copy of its own bytes. `value` itself is left as it is.
 */
export function withOwnBuffers<T>(value: T): T {
  return ownBuffers(value) as T;
}

function ownBuffers(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView || value.byteLength === value.buffer.byteLength) return value;
    return (value as TypedArray).slice();
  }
  if (Array.isArray(value)) return value.map(ownBuffers);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, ownBuffers(v)]));
  return value;
}
