// One head's full pattern as a heatmap with token labels: queries down the left, keys along the top.
// The pattern is painted once into a bitmap; hovering only redraws that bitmap plus the crosshair and the
// labels, so a 512-token pattern stays responsive.

import type { Token } from '../protocol/inspection';
import { heatmapCellSize } from './attention-layout';
import { el } from './element-builder';
import { formatProbability } from '../protocol/number-format';
import { patternBitmap } from './pattern-painter';
import { readTheme, type ThemeColours } from './theme-colours';
import { pieceLabel } from '../protocol/token-piece';

export interface AttentionMatrix {
  readonly element: HTMLElement;
  show(pattern: Float32Array, tokens: readonly Token[], title: string): void;
  setCursor(token: number | null): void;
  redraw(): void;
}

interface Focus {
  readonly query: number | null;
  readonly key: number | null;
}

export function createAttentionMatrix(onReveal: (token: number) => void): AttentionMatrix {
  const canvas = el('canvas', { class: 'gb-matrix-canvas', attrs: { tabindex: 0, role: 'img' } });
  const readout = el('div', { class: 'gb-readout', attrs: { 'aria-live': 'polite' } });
  const holder = el('div', { class: 'gb-matrix-scroll' }, [canvas]);
  const element = el('div', { class: 'gb-matrix' }, [readout, holder]);

  let pattern: Float32Array = new Float32Array(0);
  let tokens: readonly Token[] = [];
  let bitmap: HTMLCanvasElement | null = null;
  let focus: Focus = { query: null, key: null };
  let keyboard: { query: number; key: number } = { query: 0, key: 0 };
  let cursor: number | null = null;
  let geometry = { cell: 10, label: 0, font: 11, labels: true };

  const n = (): number => tokens.length;
  const labelText = (i: number): string => pieceLabel(tokens[i]);

  function measure(theme: ThemeColours): void {
    const context = canvas.getContext('2d');
    const available = Math.max(240, holder.clientWidth - 8);
    let label = 0;
    if (context) {
      context.font = `11px ${theme.monoFamily}`;
      for (let i = 0; i < n(); i++) label = Math.max(label, context.measureText(labelText(i)).width);
    }
    label = Math.min(150, Math.ceil(label) + 12);
    const cell = heatmapCellSize(n(), available - label, 2, 26);
    const labels = cell >= 8;
    geometry = { cell, label: labels ? label : 8, font: Math.min(11, Math.max(7, cell - 2)), labels };
  }

  function draw(): void {
    const theme = readTheme();
    const { cell, label, font, labels } = geometry;
    const side = n() * cell;
    const ratio = devicePixelRatio || 1;
    const cssW = label + side + 4;
    const cssH = label + side + 4;
    if (canvas.width !== Math.round(cssW * ratio) || canvas.height !== Math.round(cssH * ratio)) {
      canvas.width = Math.round(cssW * ratio);
      canvas.height = Math.round(cssH * ratio);
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${cssH}px`;
    }
    const context = canvas.getContext('2d');
    if (!context || !bitmap) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, cssW, cssH);

    // The empty upper triangle gets a faint wash so the causal shape reads as structure, not as zeros.
    context.fillStyle = theme.border;
    context.globalAlpha = 0.25;
    context.fillRect(label, label, side, side);
    context.globalAlpha = 1;
    context.imageSmoothingEnabled = false;
    context.drawImage(bitmap, label, label, side, side);

    const { query, key } = focus;
    context.lineWidth = 1.5;
    context.strokeStyle = theme.focus;
    if (query !== null) context.strokeRect(label + 0.5, label + query * cell + 0.5, side - 1, cell - 1);
    if (key !== null) context.strokeRect(label + key * cell + 0.5, label + 0.5, cell - 1, side - 1);
    if (cursor !== null) {
      context.fillStyle = theme.highlight;
      context.fillRect(label - 4, label + cursor * cell, 3, cell);
      context.fillRect(label + cursor * cell, label - 4, cell, 3);
    }
    if (!labels) return;
    context.font = `${font}px ${theme.monoFamily}`;
    context.textBaseline = 'middle';
    for (let i = 0; i < n(); i++) {
      const strong = i === query || i === key || i === cursor;
      context.fillStyle = strong ? theme.foreground : theme.muted;
      context.textAlign = 'right';
      context.fillText(labelText(i), label - 7, label + i * cell + cell / 2, label - 10);
      context.save();
      context.translate(label + i * cell + cell / 2, label - 7);
      context.rotate(-Math.PI / 2);
      context.textAlign = 'left';
      context.fillText(labelText(i), 0, 0, label - 10);
      context.restore();
    }
  }

  function describe(): void {
    const { query, key } = focus;
    if (query !== null && key !== null) {
      const weight = key <= query ? pattern[query * n() + key] : 0;
      readout.textContent = `query ${query} “${labelText(query)}” → key ${key} “${labelText(key)}”: ${key <= query ? formatProbability(weight) : 'masked (a token cannot attend to later tokens)'}`;
    } else if (query !== null) {
      const row = Array.from(pattern.subarray(query * n(), query * n() + query + 1), (w, k) => ({ k, w })).sort((a, b) => b.w - a.w).slice(0, 3);
      readout.textContent = `query ${query} “${labelText(query)}” attends most to ${row.map(({ k, w }) => `“${labelText(k)}” ${formatProbability(w)}`).join(', ')}`;
    } else if (key !== null) {
      readout.textContent = `key ${key} “${labelText(key)}”: how much each later token reads from it`;
    } else readout.textContent = 'Hover a cell or a token; arrow keys move when the heatmap has focus.';
  }

  function at(event: MouseEvent): Focus {
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left - geometry.label;
    const y = event.clientY - rect.top - geometry.label;
    const index = (v: number): number | null => (v >= 0 && v < n() * geometry.cell ? Math.floor(v / geometry.cell) : null);
    if (x < 0 && y >= 0) return { query: index(y), key: null };
    if (y < 0 && x >= 0) return { query: null, key: index(x) };
    return { query: index(y), key: index(x) };
  }

  function setFocus(next: Focus): void {
    if (next.query === focus.query && next.key === focus.key) return;
    focus = next;
    draw();
    describe();
  }

  canvas.addEventListener('mousemove', (event) => setFocus(at(event)));
  canvas.addEventListener('mouseleave', () => setFocus({ query: null, key: null }));
  canvas.addEventListener('click', (event) => {
    const { query, key } = at(event);
    const token = key ?? query;
    if (token !== null) onReveal(token);
  });
  canvas.addEventListener('keydown', (event) => {
    const steps: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (event.key in steps) {
      event.preventDefault();
      const [dq, dk] = steps[event.key];
      const query = Math.max(0, Math.min(n() - 1, keyboard.query + dq));
      // Keys stay in the causal part: a query sees only itself and earlier tokens.
      const key = Math.max(0, Math.min(query, keyboard.key + dk));
      keyboard = { query, key };
      setFocus(keyboard);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onReveal(keyboard.key);
    }
  });
  canvas.addEventListener('focus', () => setFocus(keyboard));
  canvas.addEventListener('blur', () => setFocus({ query: null, key: null }));
  new ResizeObserver(() => {
    if (!bitmap) return;
    const before = geometry.cell;
    measure(readTheme());
    if (geometry.cell !== before) draw();
  }).observe(holder);

  return {
    element,
    show(next, nextTokens, title) {
      pattern = next;
      tokens = nextTokens;
      bitmap = patternBitmap(pattern, n(), n());
      keyboard = { query: Math.min(keyboard.query, n() - 1), key: Math.min(keyboard.key, n() - 1) };
      canvas.setAttribute('aria-label', `${title}: attention heatmap, queries as rows, keys as columns. Arrow keys move, Enter shows the key token in the editor.`);
      measure(readTheme());
      draw();
      describe();
    },
    setCursor(token) {
      cursor = token;
      if (bitmap) draw();
    },
    redraw() {
      if (!bitmap) return;
      measure(readTheme());
      draw();
    },
  };
}
