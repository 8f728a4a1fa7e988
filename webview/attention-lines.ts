// The lines view of one head (after bertviz): tokens twice, queries on the left and keys on the right, each
// query joined to the keys it reads by a line as thick as the weight. Hovering a token isolates its lines.

import type { Token } from '../protocol/inspection';
import { attentionPairs, lineWidth } from './attention-layout';
import { el, svgEl } from './element-builder';
import { formatProbability } from '../protocol/number-format';
import { pieceLabel } from '../protocol/token-piece';

export interface AttentionLines {
  readonly element: HTMLElement;
  show(pattern: Float32Array, tokens: readonly Token[], title: string): void;
  setCursor(token: number | null): void;
}

/** Beyond this many tokens every-pair drawing is unreadable; only the focused token's lines are drawn. */
const allPairsUpTo = 160;

export function createAttentionLines(onReveal: (token: number) => void): AttentionLines {
  const svg = svgEl('svg', { class: 'gb-lines-svg', role: 'img' });
  const readout = el('div', { class: 'gb-readout', attrs: { 'aria-live': 'polite' } });
  const element = el('div', { class: 'gb-lines' }, [readout, el('div', { class: 'gb-lines-scroll' }, [svg])]);

  let pattern: Float32Array = new Float32Array(0);
  let tokens: readonly Token[] = [];
  let focus: { side: 'query' | 'key'; index: number } | null = null;
  let cursor: number | null = null;
  const rowH = 20;
  const gap = 200;
  let labelW = 120;

  // Row centres, below the "queries" and "keys" captions.
  const y = (i: number): number => 24 + i * rowH + rowH / 2;

  function draw(): void {
    const n = tokens.length;
    const leftX = labelW;
    const rightX = labelW + gap;
    svg.setAttribute('width', String(rightX + labelW));
    svg.setAttribute('height', String(34 + n * rowH));
    const lines = svgEl('g', { class: 'gb-lines-links' });
    const every = n <= allPairsUpTo;
    const focusQuery = focus?.side === 'query' ? focus.index : null;
    const pairs = every
      ? attentionPairs(pattern, n, null, 0.03)
      : attentionPairs(pattern, n, focusQuery ?? cursor ?? n - 1, 0.01);
    for (const { query, key, weight } of pairs.reverse()) {
      const involved = focus === null || (focus.side === 'query' ? focus.index === query : focus.index === key);
      lines.append(
        svgEl('line', {
          x1: leftX + 8,
          y1: y(query),
          x2: rightX - 8,
          y2: y(key),
          'stroke-width': lineWidth(weight, 7).toFixed(2),
          'stroke-opacity': (involved ? 0.25 + 0.75 * weight : 0.04).toFixed(3),
          class: involved && focus ? 'gb-link gb-link-on' : 'gb-link',
        }),
      );
    }
    const labels = svgEl('g', { class: 'gb-lines-labels' });
    tokens.forEach((token, i) => {
      const text = pieceLabel(token);
      const on = (side: 'query' | 'key'): string => {
        const hit = focus?.side === side && focus.index === i;
        const linked = focus && focus.side !== side && (side === 'key' ? i <= focus.index && pattern[focus.index * n + i] >= 0.03 : i >= focus.index && pattern[i * n + focus.index] >= 0.03);
        return `gb-lines-token${hit ? ' gb-lines-hit' : ''}${linked ? ' gb-lines-linked' : ''}${i === cursor ? ' gb-lines-cursor' : ''}`;
      };
      labels.append(
        svgEl('text', { x: leftX, y: y(i), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: on('query'), 'data-side': 'query', 'data-index': i }, [text]),
        svgEl('text', { x: rightX, y: y(i), 'dominant-baseline': 'middle', class: on('key'), 'data-side': 'key', 'data-index': i }, [text]),
      );
    });
    const heads = svgEl('g', { class: 'gb-lines-heads' }, [
      svgEl('text', { x: leftX, y: 12, 'text-anchor': 'end', class: 'gb-lines-caption' }, ['queries']),
      svgEl('text', { x: rightX, y: 12, class: 'gb-lines-caption' }, ['keys']),
    ]);
    svg.replaceChildren(heads, lines, labels);
  }

  function describe(): void {
    const n = tokens.length;
    if (!focus) {
      readout.textContent =
        n <= allPairsUpTo ? 'Hover a query (left) to see what it reads, or a key (right) to see who reads it.' : 'Long text: showing the lines of one query at a time; hover a token on the left.';
      return;
    }
    const i = focus.index;
    const label = `“${pieceLabel(tokens[i])}”`;
    if (focus.side === 'query') {
      const top = Array.from(pattern.subarray(i * n, i * n + i + 1), (w, k) => ({ k, w })).sort((a, b) => b.w - a.w).slice(0, 3);
      readout.textContent = `query ${i} ${label} reads ${top.map(({ k, w }) => `“${pieceLabel(tokens[k])}” ${formatProbability(w)}`).join(', ')}`;
    } else {
      let total = 0;
      for (let q = i; q < n; q++) total += pattern[q * n + i];
      readout.textContent = `key ${i} ${label} receives ${formatProbability(total / Math.max(1, n - i))} of the attention of later tokens on average`;
    }
  }

  svg.addEventListener('mouseover', (event) => {
    const node = (event.target as Element).closest<SVGTextElement>('text[data-index]');
    if (!node) return;
    const next = { side: node.dataset.side === 'key' ? ('key' as const) : ('query' as const), index: Number(node.dataset.index) };
    if (focus?.side === next.side && focus.index === next.index) return;
    focus = next;
    draw();
    describe();
  });
  svg.addEventListener('mouseleave', () => {
    focus = null;
    draw();
    describe();
  });
  svg.addEventListener('click', (event) => {
    const node = (event.target as Element).closest<SVGTextElement>('text[data-index]');
    if (node) onReveal(Number(node.dataset.index));
  });

  return {
    element,
    show(next, nextTokens, title) {
      pattern = next;
      tokens = nextTokens;
      const longest = Math.max(...tokens.map((t) => Array.from(pieceLabel(t)).length));
      labelW = Math.min(160, 16 + longest * 7.5);
      svg.setAttribute('aria-label', `${title}: lines from each query token to the key tokens it attends to`);
      focus = null;
      draw();
      describe();
    },
    setCursor(token) {
      cursor = token;
      draw();
    },
  };
}
