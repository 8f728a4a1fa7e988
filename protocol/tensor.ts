// Tensors cross process and webview boundaries as a flat typed array plus its shape (row-major). Typed
// arrays survive Node's advanced IPC serialisation and webview postMessage without becoming nested arrays.

export interface Float32Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface Int32Tensor {
  readonly dims: readonly number[];
  readonly data: Int32Array;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** Row-major flat index of `index` in a tensor of shape `dims`. */
export function flatIndex(dims: readonly number[], index: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < dims.length; i++) flat = flat * dims[i] + index[i];
  return flat;
}
