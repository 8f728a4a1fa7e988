// Every head of every layer at a glance, plus each layer's mean over heads: small max-pooled heatmaps in a
// layer × head grid. One listener serves all tiles; arrow keys move between them (roving tab stop).

import type { Attention } from '../protocol/inspection';
import { attentionShape, headThumbnail, type HeadRef } from './attention-layout';
import { el } from './element-builder';
import { patternBitmap } from './pattern-painter';

export interface AttentionOverview {
  readonly element: HTMLElement;
  show(attention: Attention, selected: HeadRef): void;
  select(selected: HeadRef): void;
}

const sameRef = (a: HeadRef, b: HeadRef): boolean => a.layer === b.layer && a.head === b.head;

function tileRef(tile: HTMLElement): HeadRef {
  const head = tile.dataset.head ?? '';
  return { layer: Number(tile.dataset.layer), head: head === 'mean' ? null : Number(head) };
}

export function createAttentionOverview(onSelect: (ref: HeadRef) => void): AttentionOverview {
  const element = el('div', { class: 'gb-overview', attrs: { role: 'grid', 'aria-label': 'Attention heads by layer; the last column is the mean over heads' } });
  let tiles: HTMLElement[] = [];
  let shape = { layers: 0, heads: 0 };
  let shownFor: Attention | null = null;
  let width = 0;

  function build(attention: Attention, selected: HeadRef): void {
    const { layers, heads } = attentionShape(attention);
    shape = { layers, heads };
    // Beside the heatmap the overview takes about a third of the tab; its own width follows from the
    // thumbnails, so the size is worked out from the tab's width instead (a hidden tab has none: assume a
    // common panel width). Above the heatmap, in a narrow panel, it has the whole width, but smaller
    // thumbnails, or it would push the heatmap out of view.
    const below = stacked();
    const available = layoutWidth() * (below ? 1 : 0.36);
    const thumb = Math.max(26, Math.min(below ? 44 : 64, Math.floor((available - 44) / (heads + 1)) - 6));
    element.style.setProperty('--gb-thumb', `${thumb}px`);
    const header = el('div', { class: 'gb-overview-row gb-overview-header', attrs: { role: 'row' } }, [
      el('span', { class: 'gb-overview-corner', attrs: { role: 'columnheader' } }),
      ...Array.from({ length: heads }, (_, h) => el('span', { class: 'gb-overview-colhead', text: `H${h}`, attrs: { role: 'columnheader', title: `head ${h}` } })),
      el('span', { class: 'gb-overview-colhead gb-overview-mean', text: 'mean', attrs: { role: 'columnheader', title: 'mean over the layer’s heads' } }),
    ]);
    tiles = [];
    const rows = Array.from({ length: layers }, (_, layer) => {
      const cells = [...Array.from({ length: heads }, (_, h) => h), null].map((head) => {
        const ref = { layer, head };
        const thumbnail = headThumbnail(attention, ref);
        const canvas = patternBitmap(thumbnail.data, thumbnail.tiles, thumbnail.tiles);
        canvas.className = 'gb-thumb-canvas';
        const name = `${attention.hooks[layer]}, ${head === null ? 'mean over heads' : `head ${head}`}`;
        const tile = el('div', {
          class: `gb-thumb${head === null ? ' gb-thumb-mean' : ''}`,
          attrs: { role: 'gridcell', tabindex: -1, 'aria-selected': 'false', 'data-layer': layer, 'data-head': head === null ? 'mean' : head, 'aria-label': name, title: `${name} (max-pooled)` },
        }, [canvas]);
        tiles.push(tile);
        return tile;
      });
      return el('div', { class: 'gb-overview-row', attrs: { role: 'row' } }, [
        el('span', { class: 'gb-overview-rowhead', text: `L${layer}`, attrs: { role: 'rowheader', title: attention.hooks[layer] } }),
        ...cells,
      ]);
    });
    element.replaceChildren(header, ...rows);
    shownFor = attention;
    width = layoutWidth();
    mark(selected);
  }

  function mark(selected: HeadRef): void {
    for (const tile of tiles) {
      const on = sameRef(tileRef(tile), selected);
      tile.classList.toggle('gb-selected', on);
      tile.setAttribute('aria-selected', String(on));
      tile.tabIndex = on ? 0 : -1;
    }
  }

  element.addEventListener('click', (event) => {
    const tile = (event.target as Element).closest<HTMLElement>('.gb-thumb');
    if (tile) onSelect(tileRef(tile));
  });
  element.addEventListener('keydown', (event) => {
    const tile = (event.target as Element).closest<HTMLElement>('.gb-thumb');
    if (!tile) return;
    const ref = tileRef(tile);
    const column = ref.head === null ? shape.heads : ref.head;
    const steps: Record<string, [number, number]> = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (event.key in steps) {
      event.preventDefault();
      const [dl, dc] = steps[event.key];
      const layer = Math.max(0, Math.min(shape.layers - 1, ref.layer + dl));
      const c = Math.max(0, Math.min(shape.heads, column + dc));
      const next = { layer, head: c === shape.heads ? null : c };
      onSelect(next);
      tiles.find((t) => sameRef(tileRef(t), next))?.focus();
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(ref);
    }
  });
  const layoutWidth = (): number => element.closest('.gb-attn-layout')?.clientWidth || 1000;
  const stacked = (): boolean => {
    const layout = element.closest('.gb-attn-layout');
    return layout !== null && getComputedStyle(layout).gridTemplateColumns.trim().split(/\s+/).length === 1;
  };
  new ResizeObserver(() => {
    if (shownFor && Math.abs(layoutWidth() - width) > 24) {
      const selected = tiles.find((t) => t.classList.contains('gb-selected'));
      build(shownFor, selected ? tileRef(selected) : { layer: 0, head: 0 });
    }
  }).observe(document.body);

  return {
    element,
    show(attention, selected) {
      if (attention !== shownFor) build(attention, selected);
      else mark(selected);
    },
    select: mark,
  };
}
