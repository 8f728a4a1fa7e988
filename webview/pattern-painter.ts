// Painting attention patterns into canvases: one pixel per cell into a bitmap, then scaled up without
// smoothing, so a 512×512 pattern costs one ImageData write rather than 262,144 fillRect calls.

import { attentionScale, rampSteps, rampTable } from './colour-scale';

/** A rows×cols pattern as a bitmap; cells above the diagonal (column > row) stay transparent. */
export function patternBitmap(values: Float32Array, rows: number, cols: number): HTMLCanvasElement {
  const bitmap = document.createElement('canvas');
  bitmap.width = cols;
  bitmap.height = rows;
  const context = bitmap.getContext('2d');
  if (!context) return bitmap;
  const image = context.createImageData(cols, rows);
  const table = rampTable(attentionScale().ramp);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c <= Math.min(r, cols - 1); c++) {
      const v = values[r * cols + c];
      const i = Math.round(Math.min(1, Math.max(0, v)) * (rampSteps - 1)) * 3;
      image.data.set([table[i], table[i + 1], table[i + 2], 255], (r * cols + c) * 4);
    }
  }
  context.putImageData(image, 0, 0);
  return bitmap;
}

/**
 * Size `canvas` to n×n cells of `cell` CSS pixels (at the device pixel ratio) and paint the pattern into it.
 * `background` fills the empty upper triangle; null leaves it transparent.
 */
export function paintPattern(canvas: HTMLCanvasElement, pattern: Float32Array, n: number, cell: number, background: string | null): void {
  const ratio = typeof devicePixelRatio === 'number' ? devicePixelRatio : 1;
  const side = n * cell;
  canvas.width = Math.round(side * ratio);
  canvas.height = Math.round(side * ratio);
  canvas.style.width = `${side}px`;
  canvas.style.height = `${side}px`;
  const context = canvas.getContext('2d');
  if (!context) return;
  if (background) {
    context.fillStyle = background;
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  context.imageSmoothingEnabled = false;
  context.drawImage(patternBitmap(pattern, n, n), 0, 0, canvas.width, canvas.height);
}
