// Each tab as a standalone SVG figure for export: the same view models as the live views, drawn with the
// current theme's colours and fonts baked in, because an exported file has no theme to read.

import type { Inspection } from '../protocol/inspection';
import type { TokenColourMode } from '../protocol/panel-messages';
import { attentionShape, headName, heatmapCellSize, type HeadRef } from './attention-layout';
import { attentionScale, colourOf, cssColour, textColourOn, type ColourScale } from './colour-scale';
import type { LensGrid } from './lens-cells';
import { formatNumber } from '../protocol/number-format';
import type { Figure } from './panel-context';
import { paintPattern } from './pattern-painter';
import { readTheme, type ThemeColours } from './theme-colours';
import { tokenScale, tokenStats, tokenValue } from './token-colouring';
import { pieceLabel } from '../protocol/token-piece';
import { endsLine } from '../protocol/visible-whitespace';
import { chipLayout } from './chip-layout';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function measurer(font: string): (text: string) => number {
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return (text) => text.length * 8;
  context.font = font;
  return (text) => context.measureText(text).width;
}

function svgDocument(width: number, height: number, theme: ThemeColours, body: string): Figure {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${escapeXml(theme.fontFamily)}" font-size="12">` +
    `<rect width="100%" height="100%" fill="${escapeXml(theme.background)}"/>${body}</svg>`;
  return { svg, width, height };
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x}" y="${y}" ${attrs}>${escapeXml(content)}</text>`;
}

const LEGEND_RAMP = 240;
/** The legend's extent: its ramp and the half of its last tick label that overhangs the ramp's end. */
const LEGEND_WIDTH = LEGEND_RAMP + 20;

/** A horizontal legend at (x, y), LEGEND_RAMP wide: the ramp, its ticks and title. Returns markup and height. */
function legendSvg(scale: ColourScale, x: number, y: number, theme: ThemeColours, id: string): { markup: string; height: number } {
  const width = LEGEND_RAMP;
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i / 10}" stop-color="${scale.ramp(i / 10)}"/>`).join('');
  const ticks = scale.ticks
    .map((t) => text(x + scale.position(t.value) * width, y + 34, t.label, `text-anchor="middle" font-size="10" fill="${escapeXml(theme.muted)}"`))
    .join('');
  const markup =
    `<defs><linearGradient id="${id}">${stops}</linearGradient></defs>` +
    text(x, y + 10, scale.title, `font-size="11" fill="${escapeXml(theme.muted)}"`) +
    `<rect x="${x}" y="${y + 16}" width="${width}" height="8" rx="2" fill="url(#${id})"/>` +
    ticks;
  return { markup, height: 40 };
}

export function tokensFigure(inspection: Inspection, mode: TokenColourMode, baseline?: Inspection['next']): Figure {
  const theme = readTheme();
  const font = `${theme.monoSize}px ${theme.monoFamily}`;
  const measure = measurer(font);
  const scale = tokenScale(mode);
  const maxWidth = 880;
  const pad = 5;
  const chipH = theme.monoSize + 10;
  const gap = 3;
  const margin = 20;
  const stats = tokenStats(inspection);
  const title = `Tokens coloured by ${scale.title}`;
  const subtitle = `${inspection.model.name} · ${stats.tokens} tokens · perplexity ${formatNumber(stats.perplexity, 1)}`;
  let body =
    text(margin, 28, title, `font-size="14" font-weight="600" fill="${escapeXml(theme.foreground)}"`) +
    text(margin, 46, subtitle, `font-size="11" fill="${escapeXml(theme.muted)}"`);
  const labels = inspection.tokens.map((token) => pieceLabel(token));
  const widths = labels.map((label) => Math.ceil(measure(label)) + 2 * pad);
  const layout = chipLayout(widths, inspection.tokens.map((token) => endsLine(token.text)), maxWidth, gap);
  const top = 62;
  labels.forEach((label, j) => {
    const x = margin + layout.x[j];
    const y = top + layout.row[j] * (chipH + gap);
    const colour = colourOf(scale, tokenValue(inspection.next, j, mode, baseline));
    const fill = colour ? cssColour(colour) : 'none';
    const ink = colour ? textColourOn(colour) : theme.foreground;
    const stroke = colour ? '' : ` stroke="${escapeXml(theme.muted)}" stroke-dasharray="3 2"`;
    body +=
      `<rect x="${x}" y="${y}" width="${widths[j]}" height="${chipH}" rx="3" fill="${fill}"${stroke}/>` +
      text(x + pad, y + chipH / 2 + theme.monoSize * 0.35, label, `font-family="${escapeXml(theme.monoFamily)}" font-size="${theme.monoSize}" fill="${ink}" xml:space="preserve"`);
  });
  const y = top + layout.rows * (chipH + gap) - gap + 24;
  const key = legendSvg(scale, margin, y, theme, 'gb-token-ramp');
  // As wide as what it shows: a short text's figure is not padded out to the longest row a long one may fill.
  const content = Math.max(layout.width, measurer(`600 14px ${theme.fontFamily}`)(title), measurer(`11px ${theme.fontFamily}`)(subtitle), LEGEND_WIDTH);
  return svgDocument(margin * 2 + Math.ceil(content), y + key.height + margin, theme, body + key.markup);
}

export function lensFigure(grid: LensGrid, inspection: Inspection): Figure {
  const theme = readTheme();
  const mono = `font-family="${escapeXml(theme.monoFamily)}"`;
  const measure = measurer(`11px ${theme.monoFamily}`);
  const margin = 20;
  const headerW = Math.ceil(Math.max(...grid.hooks.map((h) => measure(h)))) + 16;
  const cellW = 76;
  const cellH = 24;
  const top = 70;
  const left = margin + headerW;
  let body =
    text(margin, 28, `Logit lens · ${grid.scale.title}`, `font-size="14" font-weight="600" fill="${escapeXml(theme.foreground)}"`) +
    text(margin, 46, `${inspection.model.name} · rows: residual points · columns: positions · bold: the guess is the token that comes next`, `font-size="11" fill="${escapeXml(theme.muted)}"`);
  inspection.tokens.forEach((token, t) => {
    const label = cellLabel(pieceLabel(token), cellW);
    body += text(left + t * cellW + cellW / 2, top - 6, label.text, `${mono} font-size="11" text-anchor="middle" font-weight="600" fill="${escapeXml(theme.foreground)}" xml:space="preserve"${label.fit}`);
  });
  for (let p = 0; p < grid.points; p++) {
    const y = top + p * cellH;
    body += text(margin, y + cellH / 2 + 4, grid.hooks[p], `${mono} font-size="11" fill="${escapeXml(theme.muted)}"`);
    for (let t = 0; t < grid.positions; t++) {
      const cell = grid.cell(p, t);
      const x = left + t * cellW;
      const fill = cell.background ? cssColour(cell.background) : 'none';
      body += `<rect x="${x + 0.5}" y="${y + 0.5}" width="${cellW - 1}" height="${cellH - 1}" fill="${fill}"${cell.background ? '' : ` stroke="${escapeXml(theme.border)}"`}/>`;
      const label = cellLabel(cell.text, cellW);
      body += text(x + cellW / 2, y + cellH / 2 + 4, label.text, `${mono} font-size="11" text-anchor="middle" fill="${cell.foreground ?? escapeXml(theme.foreground)}" xml:space="preserve"${cell.isNextToken ? ' font-weight="700"' : ''}${label.fit}`);
    }
  }
  const y = top + grid.points * cellH + 24;
  const key = legendSvg(grid.scale, margin, y, theme, 'gb-lens-ramp');
  return svgDocument(left + grid.positions * cellW + margin, y + key.height + margin, theme, body + key.markup);
}

/**
 * A label for a lens column `width` wide (11px mono holds 10 characters): up to 12 characters, squeezed into
 * the column past 10 so that a two-byte piece, ⟨0xE2⟩⟨0x80⟩, shows whole; longer ones cut with "…".
 */
function cellLabel(label: string, width: number): { text: string; fit: string } {
  const chars = Array.from(label);
  const text = chars.length > 12 ? `${chars.slice(0, 11).join('')}…` : label;
  return { text, fit: Array.from(text).length > 10 ? ` textLength="${width - 6}" lengthAdjust="spacingAndGlyphs"` : '' };
}

/** `pattern`: the head's [query, key] pattern (or the layer mean), as headPattern gives it. */
export function attentionFigure(inspection: Inspection, ref: HeadRef, pattern: Float32Array): Figure {
  const theme = readTheme();
  const { heads } = attentionShape(inspection.attention);
  const n = inspection.tokens.length;
  const scale = attentionScale();
  const cell = heatmapCellSize(n, 720, 2, 22);
  const labels = cell >= 10;
  const measure = measurer(`11px ${theme.monoFamily}`);
  const labelW = labels ? Math.ceil(Math.max(...inspection.tokens.map((t) => measure(pieceLabel(t))))) + 12 : 0;
  const margin = 20;
  const top = 60 + labelW;
  const left = margin + labelW;
  const mono = `font-family="${escapeXml(theme.monoFamily)}" font-size="11" xml:space="preserve"`;
  let body =
    text(margin, 28, headName(ref, inspection.attention.hooks, heads), `font-size="14" font-weight="600" fill="${escapeXml(theme.foreground)}"`) +
    text(margin, 46, 'rows: queries · columns: keys · each row sums to 1', `font-size="11" fill="${escapeXml(theme.muted)}"`);
  if (labels) {
    inspection.tokens.forEach((token, i) => {
      const label = pieceLabel(token);
      body += text(left - 6, top + i * cell + cell / 2 + 4, label, `${mono} text-anchor="end" fill="${escapeXml(theme.foreground)}"`);
      const x = left + i * cell + cell / 2 + 4;
      body += text(x, top - 6, label, `${mono} transform="rotate(-90 ${x} ${top - 6})" fill="${escapeXml(theme.foreground)}"`);
    });
  }
  if (n <= 96) {
    for (let q = 0; q < n; q++) {
      for (let k = 0; k <= q; k++) {
        const colour = colourOf(scale, pattern[q * n + k]);
        if (colour) body += `<rect x="${left + k * cell}" y="${top + q * cell}" width="${cell}" height="${cell}" fill="${cssColour(colour)}"/>`;
      }
    }
  } else {
    // Thousands of rects would make a file no viewer opens quickly; embed the heatmap as an image instead.
    const canvas = document.createElement('canvas');
    paintPattern(canvas, pattern, n, 1, null);
    body += `<image x="${left}" y="${top}" width="${n * cell}" height="${n * cell}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${canvas.toDataURL('image/png')}"/>`;
  }
  const y = top + n * cell + 24;
  const key = legendSvg(scale, margin, y, theme, 'gb-attention-ramp');
  return svgDocument(Math.max(left + n * cell + margin, 300), y + key.height + margin, theme, body + key.markup);
}

/**
 * A layer × column grid of tinted squares, rows labelled by layer and columns by `columns`, under a title:
 * the Why and Heads tabs' figures.
 */
export function layerGridFigure(title: string, columns: readonly string[], rows: readonly (readonly number[])[], tint: (value: number) => string): Figure {
  const theme = readTheme();
  const size = 22;
  const left = 48;
  const top = 40;
  const width = left + columns.length * size + 16;
  const height = top + rows.length * size + 24;
  const muted = escapeXml(theme.muted);
  const foreground = escapeXml(theme.foreground);
  const cells = rows.flatMap((row, l) => row.map((v, i) => `<rect x="${left + i * size}" y="${top + l * size}" width="${size - 2}" height="${size - 2}" fill="${tint(v)}"/>`)).join('');
  const labels =
    rows.map((_, l) => text(left - 8, top + l * size + 15, String(l), `text-anchor="end" fill="${foreground}"`)).join('') +
    columns.map((c, i) => text(left + i * size + 10, top - 8, c, `text-anchor="middle" font-size="10" fill="${muted}"`)).join('');
  return svgDocument(width, height, theme, text(8, 16, title, `fill="${foreground}"`) + labels + cells);
}
