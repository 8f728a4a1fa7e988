// Turning the current tab into a file for `export/save`: its figure as SVG or PNG, its table as CSV. The host
// asks where to save (and writes the whole inspection's JSON itself).

import type { ExportFormat, ExportSavePayload, PanelTab } from '../protocol/panel-messages';
import type { Figure, PanelView, Shown } from './panel-context';

/** Canvas sides beyond this fail in Chromium; a wide lens (1,024 positions) is scaled down to fit. */
const maxCanvasSide = 16384;

export async function rasterise(figure: Figure, scale = 2): Promise<string> {
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(figure.svg)}`;
  await image.decode();
  const s = Math.min(scale, maxCanvasSide / figure.width, maxCanvasSide / figure.height);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(figure.width * s));
  canvas.height = Math.max(1, Math.round(figure.height * s));
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas to draw the PNG');
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png').slice('data:image/png;base64,'.length);
}

/** A bare, safe file name from the inspected file's name: "notes/fox.md" → "fox". */
export function fileStem(uri: string): string {
  const name = decodeURIComponent(uri.split(/[\\/]/).pop() ?? '');
  const stem = name.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '');
  return stem || 'text';
}

/** The file name an export of `tab` is offered under; JSON is the whole inspection's unless `ownJson` (the tab's data). */
export function exportFilename(format: ExportFormat, tab: PanelTab, shown: Shown, ownJson = false): string {
  return `glassbox-${format === 'json' && !ownJson ? 'inspection' : tab}-${fileStem(shown.source.uri)}.${format}`;
}

/** The current tab's figure or table (the inspection's JSON is written by the host, which has its patterns). */
export async function exportPayload(format: Exclude<ExportFormat, 'json'>, tab: PanelTab, view: PanelView, shown: Shown): Promise<ExportSavePayload> {
  const filename = exportFilename(format, tab, shown);
  switch (format) {
    case 'png':
      return { format, filename, data: await rasterise(view.figure(shown)), encoding: 'base64' };
    case 'svg':
      return { format, filename, data: view.figure(shown).svg, encoding: 'utf8' };
    case 'csv':
      return { format, filename, data: view.table(shown), encoding: 'utf8' };
  }
}
