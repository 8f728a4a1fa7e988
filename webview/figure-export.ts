// Turning the current tab into a file for `export/save`: its figure as SVG or PNG, its table as CSV, or the
// whole inspection as JSON in the CLI's format. The host asks where to save.

import { inspectionToJson } from '../protocol/inspection-json';
import type { ExportFormat, ExportSavePayload, PanelTab } from '../protocol/panel-messages';
import type { Figure, PanelView, Shown } from './panel-context';

/** Canvas sides beyond this fail in Chromium; a wide lens (1,024 positions) is scaled down to fit. */
const maxCanvasSide = 16384;

/**
 * The CLI's JSON spells every attention weight out as a number: 12 × 12 heads at 512 tokens is 38 million of
 * them, several hundred megabytes that a webview message cannot carry. Past this many the panel refuses.
 */
const maxJsonWeights = 12_000_000;

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

export async function exportPayload(format: ExportFormat, tab: PanelTab, view: PanelView, shown: Shown): Promise<ExportSavePayload> {
  const filename = `glassbox-${format === 'json' ? 'inspection' : tab}-${fileStem(shown.source.uri)}.${format}`;
  switch (format) {
    case 'png':
      return { format, filename, data: await rasterise(view.figure(shown)), encoding: 'base64' };
    case 'svg':
      return { format, filename, data: view.figure(shown).svg, encoding: 'utf8' };
    case 'csv':
      return { format, filename, data: view.table(shown), encoding: 'utf8' };
    case 'json': {
      const weights = shown.inspection.attention.patterns.reduce((sum, layer) => sum + (layer?.data.length ?? 0), 0);
      if (weights > maxJsonWeights) {
        throw new Error(
          `the inspection holds ${(weights / 1e6).toFixed(0)} million attention weights, too many for JSON from the panel; ` +
            'use `glassbox inspect --json` or export the table of one head as CSV',
        );
      }
      // The same document as `glassbox inspect --json`.
      const json = { ...inspectionToJson(shown.inspection), randomWeights: shown.source.randomWeights };
      return { format, filename, data: JSON.stringify(json), encoding: 'utf8' };
    }
  }
}
