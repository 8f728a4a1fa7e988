// The route graph of one prediction as SVG (Ferrando & Voita, 2024; drawn as the LLM Transparency Tool draws
// it): tokens along the bottom, each position's residual stream going up through every layer's attention and
// MLP, edges as wide as their importance. The same markup is the live view and the exported figure.

import type { Inspection } from '../protocol/inspection';
import type { RouteEdge, RouteResidual } from '../protocol/routes';
import { pieceLabel } from '../protocol/token-piece';
import { escapeXml } from './figure-svg';
import type { Figure } from './panel-context';
import type { ThemeColours } from './theme-colours';

/** Past this many edges the weakest are left out of the drawing (the CSV keeps them all). */
export const MAX_DRAWN_EDGES = 2000;

const column = 46;
const row = 30;
const left = 74;
const top = 34;
const bottom = 40;

/** Residual levels, bottom up: 2l is `blocks.{l}.hook_resid_pre`, 2l + 1 its `hook_resid_mid`, 2L the last `hook_resid_post`. */
export function levelY(level: number, nLayer: number): number {
  return top + (2 * nLayer - level) * row;
}

export function positionX(position: number): number {
  return left + position * column + column / 2;
}

const colours = { attention: '#4c9be8', mlp: '#e8912d', residual: '#8a8a8a' } as const;

const width = (weight: number): string => (0.75 + 6 * weight).toFixed(2);
const opacity = (weight: number): string => (0.35 + 0.65 * weight).toFixed(2);

/** An edge's endpoints: attention reads the layer's input at `from` into its middle at `to`; MLP and residuals stay at a position. */
function endpoints(e: RouteEdge | RouteResidual, nLayer: number): { x1: number; y1: number; x2: number; y2: number } {
  const attention = e.kind === 'attention';
  const from = 'position' in e ? e.position : e.from;
  const to = 'position' in e ? e.position : e.to;
  const lower = attention ? 2 * e.layer : 2 * e.layer + 1;
  return { x1: positionX(from), y1: levelY(lower, nLayer), x2: positionX(to), y2: levelY(lower + 1, nLayer) };
}

export function routeFigure(inspection: Inspection, position: number, graph: { edges: readonly RouteEdge[]; residuals: readonly RouteResidual[] }, theme: ThemeColours, title: string): Figure {
  const { nLayer } = inspection.model;
  const n = position + 1;
  // Wide enough for the title too (about 6.5 px a character at 12 px).
  const w = Math.max(left + n * column + 16, Math.ceil(16 + title.length * 6.5));
  const h = top + 2 * nLayer * row + bottom;
  const foreground = escapeXml(theme.foreground);
  const muted = escapeXml(theme.muted);
  const parts: string[] = [`<text x="8" y="18" fill="${foreground}">${escapeXml(title)}</text>`];
  // Layer bands: a faint rule at each residual level, the block names between them.
  for (let level = 0; level <= 2 * nLayer; level++) {
    parts.push(`<line x1="${left}" x2="${left + n * column}" y1="${levelY(level, nLayer)}" y2="${levelY(level, nLayer)}" stroke="${escapeXml(theme.border)}" stroke-width="0.5"/>`);
  }
  for (let l = 0; l < nLayer; l++) {
    const label = (level: number, text: string) => parts.push(`<text x="${left - 8}" y="${levelY(level, nLayer) - row / 2 + 4}" text-anchor="end" font-size="10" fill="${muted}">${text}</text>`);
    label(2 * l, `L${l} attn`);
    label(2 * l + 1, `L${l} MLP`);
  }
  const drawn = [...graph.edges].sort((a, b) => b.weight - a.weight).slice(0, MAX_DRAWN_EDGES);
  graph.residuals.forEach((r, i) => {
    const { x1, y1, x2, y2 } = endpoints(r, nLayer);
    parts.push(`<line class="gb-route-edge" data-residual="${i}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colours.residual}" stroke-width="${width(r.weight)}" stroke-opacity="${opacity(r.weight)}" stroke-dasharray="3 2"/>`);
  });
  const edgeIndex = new Map(graph.edges.map((e, i) => [e, i]));
  for (const e of drawn) {
    const { x1, y1, x2, y2 } = endpoints(e, nLayer);
    const i = edgeIndex.get(e);
    if (e.kind === 'mlp') {
      // The MLP sits beside its position's residual: out to the block and back.
      const side = x1 + column / 3;
      parts.push(`<polyline class="gb-route-edge" data-edge="${i}" points="${x1},${y1} ${side},${(y1 + y2) / 2} ${x2},${y2}" fill="none" stroke="${colours.mlp}" stroke-width="${width(e.weight)}" stroke-opacity="${opacity(e.weight)}"/>`);
      parts.push(`<rect x="${side - 4}" y="${(y1 + y2) / 2 - 4}" width="8" height="8" fill="${colours.mlp}" fill-opacity="${opacity(e.weight)}"/>`);
    } else {
      parts.push(`<line class="gb-route-edge" data-edge="${i}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colours.attention}" stroke-width="${width(e.weight)}" stroke-opacity="${opacity(e.weight)}" stroke-linecap="round"/>`);
    }
  }
  // Nodes: every residual point an edge touches, and the prediction's final residual.
  const nodes = new Set<string>([`${2 * nLayer}:${position}`]);
  const touch = (level: number, p: number) => nodes.add(`${level}:${p}`);
  for (const e of [...drawn, ...graph.residuals]) {
    const lower = e.kind === 'attention' ? 2 * e.layer : 2 * e.layer + 1;
    touch(lower, 'position' in e ? e.position : e.from);
    touch(lower + 1, 'position' in e ? e.position : e.to);
  }
  for (const key of nodes) {
    const [level, p] = key.split(':').map(Number);
    const final = level === 2 * nLayer && p === position;
    parts.push(`<circle cx="${positionX(p)}" cy="${levelY(level, nLayer)}" r="${final ? 5 : 3}" fill="${final ? escapeXml(theme.focus) : foreground}"/>`);
  }
  parts.push(`<text x="${positionX(position)}" y="${levelY(2 * nLayer, nLayer) - 9}" text-anchor="middle" font-size="10" fill="${escapeXml(theme.focus)}">prediction</text>`);
  // Tokens along the bottom, cut to fit their column (the full text is in the title).
  inspection.tokens.slice(0, n).forEach((t, p) => {
    const label = pieceLabel(t);
    const shown = label.length > 6 ? `${label.slice(0, 5)}…` : label;
    parts.push(`<text x="${positionX(p)}" y="${levelY(0, nLayer) + 16}" text-anchor="middle" font-size="11" font-family="${escapeXml(theme.monoFamily)}" fill="${foreground}"><title>${escapeXml(`${p}: ${label}`)}</title>${escapeXml(shown)}</text>`);
    parts.push(`<text x="${positionX(p)}" y="${levelY(0, nLayer) + 30}" text-anchor="middle" font-size="9" fill="${muted}">${p}</text>`);
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${escapeXml(theme.fontFamily)}" font-size="12">` +
    `<rect width="100%" height="100%" fill="${escapeXml(theme.background)}"/>${parts.join('')}</svg>`;
  return { svg, width: w, height: h };
}
