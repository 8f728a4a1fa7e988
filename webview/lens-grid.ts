// The logit-lens grid: residual points × positions, up to 49 × 1,024 cells. Cells scroll natively (no
// per-frame script, so no lag behind the compositor); only the columns and rows near the view exist in the
// DOM, rebuilt when scrolling nears the edge of what is built. Headers are sticky, and one set of
// listeners on the grid serves every cell.
//
// Layout inside the scrolled box, which is as large as the whole grid:
//   header row   (role=row, sticky top)    corner (sticky left) + column headers (absolute)
//   spacer       (height of the rows above the built ones)
//   body rows    (role=row, display: contents) row header (in flow, sticky left) + cells (absolute)

import type { Token } from '../protocol/inspection';
import type { GeneratedSpan } from '../protocol/panel-messages';
import { cssColour } from './colour-scale';
import { el } from './element-builder';
import { choseGenerated, isGenerated } from './generated-span';
import type { LensGrid } from './lens-cells';
import { formatRank } from '../protocol/number-format';
import { pieceLabel } from '../protocol/token-piece';

export interface CellRef {
  readonly point: number;
  readonly position: number;
}

export interface LensGridElement {
  readonly element: HTMLElement;
  /** `generated`: an explained completion's tokens, marked, and scrolled to when the tokens are new. */
  show(grid: LensGrid, tokens: readonly Token[], generated?: GeneratedSpan | null): void;
  select(cell: CellRef | null): void;
  setCursorColumn(position: number | null): void;
}

const cellW = 78;
const cellH = 26;
const headerH = 42;

interface Range {
  readonly c0: number;
  readonly c1: number;
  readonly r0: number;
  readonly r1: number;
}

export function createLensGrid(onActivate: (cell: CellRef) => void, onHeader: (position: number) => void): LensGridElement {
  const size = el('div', { class: 'gb-grid-size' });
  const scroller = el('div', { class: 'gb-grid-scroll' }, [size]);
  const element = el('div', { class: 'gb-grid', attrs: { role: 'grid', tabindex: 0, 'aria-label': 'Logit lens: residual points by positions' } }, [scroller]);

  let grid: LensGrid | null = null;
  let tokens: readonly Token[] = [];
  let rowHeadW = 180;
  let active: CellRef = { point: 0, position: 0 };
  let selected: CellRef | null = null;
  let cursorColumn: number | null = null;
  let generated: GeneratedSpan | null = null;
  /** The column to bring to the left edge at the next build, once the grid has a width. */
  let scrollToColumn: number | null = null;
  let built: Range | null = null;
  let frame = 0;

  /** In a narrow panel rows carry TransformerLens's short names (`resid_pre 3`); the full hook is the tooltip. */
  let compact = false;
  const rowLabel = (hook: string): string => (compact ? hook.replace(/^blocks\.(\d+)\.hook_(\w+)$/, '$2 $1') : hook);

  const schedule = (): void => {
    if (!frame) frame = requestAnimationFrame(build);
  };

  function layout(g: LensGrid): void {
    // Monospace 11.5px is about 7 px a character; the rest is padding and the "output" badge.
    rowHeadW = Math.max(compact ? 96 : 150, Math.ceil(Math.max(...g.hooks.map((h) => rowLabel(h).length)) * 7.2) + 74);
    const height = headerH + g.points * cellH;
    size.style.width = `${rowHeadW + g.positions * cellW}px`;
    size.style.height = `${height}px`;
    // As tall as the grid (plus a scrollbar), never taller than most of the window.
    scroller.style.height = `${Math.min(height + 14, Math.max(220, window.innerHeight * 0.62))}px`;
    element.setAttribute('aria-rowcount', String(g.points + 1));
    element.setAttribute('aria-colcount', String(g.positions + 1));
  }

  /** The columns and rows in view, widened by half a view each way so ordinary scrolling finds them built. */
  function wanted(g: LensGrid): { visible: Range; build: Range } {
    const width = scroller.clientWidth - rowHeadW;
    const height = scroller.clientHeight - headerH;
    const visible = {
      c0: Math.max(0, Math.floor(scroller.scrollLeft / cellW)),
      c1: Math.min(g.positions, Math.ceil((scroller.scrollLeft + width) / cellW)),
      r0: Math.max(0, Math.floor(scroller.scrollTop / cellH)),
      r1: Math.min(g.points, Math.ceil((scroller.scrollTop + height) / cellH)),
    };
    const padC = Math.ceil(width / cellW / 2) + 2;
    const padR = Math.ceil(height / cellH / 2) + 2;
    return {
      visible,
      build: {
        c0: Math.max(0, visible.c0 - padC),
        c1: Math.min(g.positions, visible.c1 + padC),
        r0: Math.max(0, visible.r0 - padR),
        r1: Math.min(g.points, visible.r1 + padR),
      },
    };
  }

  // What is built: the header row and one row element per built point, and every cell by "point:position".
  let headerEl: HTMLElement | null = null;
  let rowEls = new Map<number, HTMLElement>();
  let cellEls = new Map<string, HTMLElement>();
  let headEls = new Map<number, HTMLElement>();
  let dirty = true;

  function columnHead(t: number): HTMLElement {
    const token = tokens[t];
    const head = el('div', {
      class: `gb-grid-colhead${t === cursorColumn ? ' gb-col-cursor' : ''}${isGenerated(generated, t) ? ' gb-col-generated' : ''}`,
      attrs: { role: 'columnheader', 'aria-colindex': t + 2, 'data-position': t, title: `position ${t}: “${pieceLabel(token)}” (id ${token.id}); click to show it in the editor` },
    }, [el('span', { class: 'gb-grid-pos', text: String(t) }), el('span', { class: 'gb-grid-input', text: pieceLabel(token) })]);
    head.style.left = `${rowHeadW + t * cellW}px`;
    head.style.width = `${cellW}px`;
    headEls.set(t, head);
    return head;
  }

  function headerRow(range: Range): HTMLElement {
    const corner = el('div', { class: 'gb-grid-corner', attrs: { role: 'columnheader', 'aria-colindex': 1 } }, [
      el('span', { class: 'gb-grid-pos', text: 'residual point ↓' }),
      el('span', { class: 'gb-grid-pos', text: 'position →' }),
    ]);
    corner.style.width = `${rowHeadW}px`;
    const row = el('div', { class: 'gb-grid-header', attrs: { role: 'row', 'aria-rowindex': 1 } }, [corner]);
    row.style.height = `${headerH}px`;
    for (let t = range.c0; t < range.c1; t++) row.append(columnHead(t));
    return row;
  }

  function gridCell(g: LensGrid, p: number, t: number): HTMLElement {
    const cell = g.cell(p, t);
    const targeted = g.mode.startsWith('target') && cell.target !== null;
    let classes = 'gb-grid-cell';
    if (!cell.background) classes += ' gb-cell-unknown';
    if (cell.isNextToken) classes += ' gb-cell-next';
    if (targeted) classes += ' gb-cell-targeted';
    if (choseGenerated(generated, t)) classes += ' gb-cell-chose-generated';
    const node = el('div', { class: classes, attrs: { role: 'gridcell', 'aria-colindex': t + 2, 'data-point': p, 'data-position': t } }, [
      el('span', { class: 'gb-cell-text', text: cell.text }),
    ]);
    if (targeted && cell.target) node.append(el('span', { class: 'gb-cell-rank', text: cell.target.rank === null ? `>${g.k}` : formatRank(cell.target.rank) }));
    const style = node.style;
    style.left = `${rowHeadW + t * cellW}px`;
    style.top = `${headerH + p * cellH}px`;
    style.width = `${cellW}px`;
    style.height = `${cellH}px`;
    if (cell.background) {
      style.backgroundColor = cssColour(cell.background);
      style.color = cell.foreground ?? '';
    }
    cellEls.set(`${p}:${t}`, node);
    return node;
  }

  function bodyRow(g: LensGrid, p: number, range: Range): HTMLElement {
    const last = p === g.points - 1;
    const head = el('div', { class: 'gb-grid-rowhead', attrs: { role: 'rowheader', 'aria-colindex': 1, title: last ? `${g.hooks[p]}: the model’s output` : g.hooks[p] } }, [
      el('span', { text: rowLabel(g.hooks[p]) }),
      last ? el('span', { class: 'gb-grid-badge', text: 'output' }) : null,
    ]);
    head.style.width = `${rowHeadW}px`;
    head.style.height = `${cellH}px`;
    const row = el('div', { class: `gb-grid-row${last ? ' gb-grid-output' : ''}`, attrs: { role: 'row', 'aria-rowindex': p + 2 } }, [head]);
    for (let t = range.c0; t < range.c1; t++) row.append(gridCell(g, p, t));
    rowEls.set(p, row);
    return row;
  }

  function rebuild(g: LensGrid, range: Range): void {
    rowEls = new Map();
    cellEls = new Map();
    headEls = new Map();
    headerEl = headerRow(range);
    const spacer = el('div', { attrs: { 'aria-hidden': 'true' } });
    spacer.style.height = `${range.r0 * cellH}px`;
    const rows: HTMLElement[] = [headerEl, spacer];
    for (let p = range.r0; p < range.r1; p++) rows.push(bodyRow(g, p, range));
    size.replaceChildren(...rows);
  }

  /**
   * Scrolling sideways only adds the columns coming into reach and drops those left behind: cells already
   * built stay untouched, so the browser repaints just the new ones.
   */
  function shiftColumns(g: LensGrid, from: Range, to: Range): void {
    for (let t = from.c0; t < from.c1; t++) {
      if (t >= to.c0 && t < to.c1) continue;
      headEls.get(t)?.remove();
      headEls.delete(t);
      for (let p = to.r0; p < to.r1; p++) {
        cellEls.get(`${p}:${t}`)?.remove();
        cellEls.delete(`${p}:${t}`);
      }
    }
    for (let t = to.c0; t < to.c1; t++) {
      if (t >= from.c0 && t < from.c1) continue;
      headerEl?.append(columnHead(t));
      for (let p = to.r0; p < to.r1; p++) rowEls.get(p)?.append(gridCell(g, p, t));
    }
  }

  /** Selection, keyboard focus and the editor's cursor are classes on built cells, never a rebuild. */
  function mark(): void {
    for (const node of size.querySelectorAll('.gb-cell-selected, .gb-cell-active, .gb-col-cursor')) {
      node.classList.remove('gb-cell-selected', 'gb-cell-active', 'gb-col-cursor');
      node.removeAttribute('id');
      node.removeAttribute('aria-label');
    }
    if (selected) cellEls.get(`${selected.point}:${selected.position}`)?.classList.add('gb-cell-selected');
    const activeEl = cellEls.get(`${active.point}:${active.position}`);
    if (activeEl && grid) {
      activeEl.classList.add('gb-cell-active');
      activeEl.id = 'gb-lens-active';
      activeEl.setAttribute('aria-label', grid.label(active.point, active.position));
    }
    if (cursorColumn !== null) {
      headEls.get(cursorColumn)?.classList.add('gb-col-cursor');
      for (const [key, node] of cellEls) if (key.endsWith(`:${cursorColumn}`)) node.classList.add('gb-col-cursor');
    }
    if (document.activeElement === element && activeEl) element.setAttribute('aria-activedescendant', 'gb-lens-active');
    else element.removeAttribute('aria-activedescendant');
  }

  function build(): void {
    frame = 0;
    if (!grid) return;
    const start = performance.now();
    const g = grid;
    const narrow = scroller.clientWidth > 0 && scroller.clientWidth < 640;
    if (narrow !== compact) {
      compact = narrow;
      layout(g);
      dirty = true;
    }
    if (scrollToColumn !== null && scroller.clientWidth > 0) {
      scroller.scrollLeft = scrollToColumn * cellW;
      scrollToColumn = null;
    }
    const range = wanted(g).build;
    if (dirty || !built || built.r0 !== range.r0 || built.r1 !== range.r1) rebuild(g, range);
    else if (built.c0 !== range.c0 || built.c1 !== range.c1) shiftColumns(g, built, range);
    built = range;
    dirty = false;
    mark();
    // A user-timing entry: visible in DevTools' performance panel, and read by the preview checks.
    performance.measure('glassbox lens build', { start });
  }

  /** On scroll only check whether the view is leaving what is built; the browser moves the cells itself. */
  function scrolled(): void {
    if (!grid || !built) return;
    const { visible } = wanted(grid);
    if (visible.c0 < built.c0 || visible.c1 > built.c1 || visible.r0 < built.r0 || visible.r1 > built.r1) schedule();
  }

  function scrollIntoView(cell: CellRef): void {
    const x = cell.position * cellW;
    const y = cell.point * cellH;
    const visibleW = scroller.clientWidth - rowHeadW;
    const visibleH = scroller.clientHeight - headerH;
    if (x < scroller.scrollLeft) scroller.scrollLeft = x;
    else if (x + cellW > scroller.scrollLeft + visibleW) scroller.scrollLeft = x + cellW - visibleW;
    if (y < scroller.scrollTop) scroller.scrollTop = y;
    else if (y + cellH > scroller.scrollTop + visibleH) scroller.scrollTop = y + cellH - visibleH;
  }

  function moveTo(cell: CellRef): void {
    if (!grid) return;
    active = {
      point: Math.max(0, Math.min(grid.points - 1, cell.point)),
      position: Math.max(0, Math.min(grid.positions - 1, cell.position)),
    };
    scrollIntoView(active);
    schedule();
  }

  scroller.addEventListener('scroll', scrolled, { passive: true });
  new ResizeObserver(schedule).observe(scroller);

  // Tooltips are made on first hover: a label per built cell would cost more than the cells themselves.
  size.addEventListener('mouseover', (event) => {
    const node = (event.target as Element).closest<HTMLElement>('.gb-grid-cell');
    if (node && !node.title && grid) node.title = grid.label(Number(node.dataset.point), Number(node.dataset.position));
  });
  element.addEventListener('click', (event) => {
    const target = event.target as Element;
    const cellNode = target.closest<HTMLElement>('.gb-grid-cell');
    if (cellNode) {
      const cell = { point: Number(cellNode.dataset.point), position: Number(cellNode.dataset.position) };
      active = cell;
      onActivate(cell);
      return;
    }
    const head = target.closest<HTMLElement>('.gb-grid-colhead');
    if (head) onHeader(Number(head.dataset.position));
  });

  element.addEventListener('focus', schedule);
  element.addEventListener('keydown', (event) => {
    if (!grid) return;
    const page = Math.max(1, Math.floor((scroller.clientWidth - rowHeadW) / cellW) - 1);
    const { point, position } = active;
    const moves: Record<string, CellRef> = {
      ArrowLeft: { point, position: position - 1 },
      ArrowRight: { point, position: position + 1 },
      ArrowUp: { point: point - 1, position },
      ArrowDown: { point: point + 1, position },
      PageUp: { point, position: position - page },
      PageDown: { point, position: position + page },
      Home: event.ctrlKey ? { point: 0, position: 0 } : { point, position: 0 },
      End: event.ctrlKey ? { point: grid.points - 1, position: grid.positions - 1 } : { point, position: grid.positions - 1 },
    };
    if (event.key in moves) {
      event.preventDefault();
      moveTo(moves[event.key]);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onActivate(active);
    }
  });

  return {
    element,
    show(next, nextTokens, nextGenerated = null) {
      const resized = !grid || grid.points !== next.points || grid.positions !== next.positions;
      // The column that chose the first generated token (start − 1), with one column of context before it.
      if (nextGenerated && nextTokens !== tokens) scrollToColumn = Math.max(0, nextGenerated.start - 2);
      generated = nextGenerated;
      grid = next;
      tokens = nextTokens;
      dirty = true;
      if (resized) {
        active = { point: Math.min(active.point, next.points - 1), position: Math.min(active.position, next.positions - 1) };
        layout(next);
      }
      schedule();
    },
    select(cell) {
      selected = cell;
      if (cell) active = cell;
      schedule();
    },
    setCursorColumn(position) {
      cursorColumn = position;
      if (position !== null && grid) {
        const x = position * cellW;
        const visibleW = scroller.clientWidth - rowHeadW;
        if (x < scroller.scrollLeft || x + cellW > scroller.scrollLeft + visibleW) scroller.scrollLeft = Math.max(0, x - visibleW / 2);
      }
      schedule();
    },
  };
}
