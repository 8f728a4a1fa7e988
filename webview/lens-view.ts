// The Logit Lens tab: the grid of top-1 guesses per residual point and position, its colour modes and
// legend, the target token, and the top-k of a selected cell.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { lensColourModes, type LensColourMode } from '../protocol/panel-messages';
import { el } from './element-builder';
import { explanation } from './explanations';
import { isGenerated } from './generated-span';
import { lensCsv } from './export-tables';
import { lensFigure } from './figure-svg';
import { legend } from './legend';
import { describeChange, describeTarget, lensGrid, type LensGrid } from './lens-cells';
import { lensBaseline } from './lens-change';
import { createLensGrid, type CellRef } from './lens-grid';
import { formatNats } from '../protocol/number-format';
import type { PanelContext, PanelView, Shown } from './panel-context';
import { tokenLabel, tokenList } from './token-list';
import { pieceOf } from '../protocol/inspection-reading';
import { pieceText } from '../protocol/token-piece';

const modeLabels: Readonly<Record<LensColourMode, string>> = {
  probability: 'Top-1 probability',
  entropy: 'Entropy',
  kl: 'KL to the output',
  'target-probability': 'Target probability',
  'target-rank': 'Target rank',
  change: 'Change (vs baseline)',
};

export function createLensView(ctx: PanelContext): PanelView {
  const select = el('vscode-single-select', { class: 'gb-select gb-select-wide', attrs: { 'aria-label': 'Colour cells by' } });
  const options = new Map<LensColourMode, HTMLElement>();
  for (const mode of lensColourModes) {
    const option = el('vscode-option', { text: modeLabels[mode], attrs: { value: mode } });
    options.set(mode, option);
    select.append(option);
  }
  select.addEventListener('change', () => ctx.update({ lensColour: select.value as LensColourMode }));

  const targetField = el('vscode-textfield', { class: 'gb-target-field', attrs: { placeholder: 'target token, e.g. dog', 'aria-label': 'Target token' } });
  const leadingSpace = el('vscode-checkbox', { attrs: { label: 'leading space', checked: true, title: 'GPT-2 spells most words with their leading space: “ dog” and “dog” are different tokens.' } });
  const follow = el('vscode-button', { text: 'Follow', attrs: { secondary: true } });
  const targetState = el('span', { class: 'gb-target-state', attrs: { 'aria-live': 'polite' } });
  const submit = (): void => {
    const raw = targetField.value;
    if (!raw.trim()) return;
    const text = leadingSpace.checked && !raw.startsWith(' ') ? ` ${raw}` : raw;
    ctx.requestTarget(text, null);
  };
  follow.addEventListener('click', submit);
  targetField.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') submit();
  });
  targetState.addEventListener('click', (event) => {
    // `change` stays, following the next token again; a target mode has nothing left to show.
    if ((event.target as Element).closest('[data-clear]')) ctx.update({ lensTarget: null, lensColour: ctx.state().lensColour.startsWith('target') ? 'probability' : ctx.state().lensColour });
  });

  const legendSlot = el('div', { class: 'gb-legend-slot' });
  const gridElement = createLensGrid(
    (cell) => {
      selected = cell;
      gridElement.select(cell);
      drawDetails();
      ctx.reveal(cell.position);
    },
    (position) => ctx.reveal(position),
  );
  const details = el('section', { class: 'gb-card gb-lens-details', attrs: { hidden: true, 'aria-live': 'polite' } });
  details.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('[data-id]');
    const shown = ctx.shown();
    if (!button || !shown) return;
    const piece = pieceOf(shown.inspection.pieces, Number(button.dataset.id));
    const mode = ctx.state().lensColour;
    ctx.update({ lensTarget: piece, lensColour: mode.startsWith('target') || mode === 'change' ? mode : 'target-probability' });
    ctx.requestTarget(piece.text, piece.id);
  });

  const element = el('section', { class: 'gb-view gb-lens' }, [
    explanation('lens'),
    el('div', { class: 'gb-toolbar' }, [
      el('span', { class: 'gb-toolbar-label', text: 'Colour by' }),
      select,
      el('span', { class: 'gb-toolbar-sep', attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'gb-toolbar-label', text: 'Target' }),
      targetField,
      leadingSpace,
      follow,
      targetState,
    ]),
    legendSlot,
    gridElement.element,
    details,
  ]);

  let grid: LensGrid | null = null;
  let selected: CellRef | null = null;
  let legendKey = '';

  function drawDetails(): void {
    const shown = ctx.shown();
    details.hidden = !shown || !selected || !grid;
    if (!shown || !selected || !grid) return;
    const { point, position } = selected;
    const { inspection } = shown;
    const cell = grid.cell(point, position);
    const target = ctx.lensTarget();
    const baseline = lensBaseline(shown);
    const next = inspection.tokens[position + 1];
    const nextGenerated = isGenerated(shown.source.generated, position + 1);
    details.replaceChildren(
      el('h3', { class: 'gb-card-title' }, [
        el('code', { class: 'gb-hook', text: grid.hooks[point] }),
        el('span', { class: 'gb-muted', text: ` at position ${position} ` }),
        tokenLabel(inspection.tokens[position]),
      ]),
      el('dl', { class: 'gb-facts gb-facts-inline' }, [
        el('dt', { text: 'entropy' }),
        el('dd', { text: formatNats(cell.entropy) }),
        el('dt', { text: 'KL(output ‖ lens)' }),
        el('dd', { text: formatNats(cell.kl) }),
        el('dt', { text: nextGenerated ? 'generated next' : 'actual next' }),
        el('dd', {}, [next ? tokenLabel(next) : 'none (last token)']),
        target && cell.target ? el('dt', { text: 'target' }) : null,
        target && cell.target ? el('dd', {}, [tokenLabel(target), ` ${describeTarget(cell.target, grid.k)}`]) : null,
        baseline && cell.change ? el('dt', { text: `vs ${baseline.name}` }) : null,
        baseline && cell.change ? el('dd', { text: describeChange(cell.change, baseline.name, inspection.pieces, grid.k) }) : null,
      ]),
      tokenList(grid.topK(point, position), {
        highlight: next ? { id: next.id, label: nextGenerated ? 'generated' : 'actual' } : null,
        action: 'Set as target',
      }),
    );
  }

  function drawTargetState(shown: Shown): void {
    const { inspection } = shown;
    const target = ctx.lensTarget();
    const status = ctx.targetStatus();
    const parts: (Node | string)[] = [];
    if (status.kind === 'pending') parts.push(el('span', { class: 'gb-muted', text: 'asking the model…' }));
    if (status.kind === 'failed') parts.push(el('span', { class: 'gb-error-text', text: status.message }));
    if (target) {
      parts.push(
        el('span', { class: 'gb-target-chip', attrs: { title: `token id ${target.id}` } }, [
          tokenLabel(target),
          el('button', { class: 'gb-icon-button', text: '✕', attrs: { type: 'button', 'data-clear': '', 'aria-label': 'Clear the target' } }),
        ]),
      );
      if (!target.exact) parts.push(el('span', { class: 'gb-muted', text: `top-${inspection.lens.topIds.dims[2]} only` }));
    }
    targetState.replaceChildren(...parts);
    // One source of truth: the field shows the target whoever set it (typing, a cell's "Set as target", a
    // restored or carried-over state), except while the user is typing in it.
    if (!targetField.matches(':focus-within')) {
      const text = target ? pieceText(target) : '';
      targetField.value = text.startsWith(' ') ? text.slice(1) : text;
      leadingSpace.checked = target === null || text.startsWith(' ');
    }
    for (const mode of ['target-probability', 'target-rank'] as const) {
      options.get(mode)?.toggleAttribute('disabled', target === null);
    }
    options.get('change')?.toggleAttribute('disabled', lensBaseline(shown) === null);
  }

  return {
    element,
    render(shown) {
      const { inspection, source } = shown;
      grid = lensGrid(inspection, ctx.state().lensColour, ctx.lensTarget(), lensBaseline(shown));
      if (select.value !== grid.mode) select.value = grid.mode;
      const generated = source.generated ?? null;
      const key = `${grid.mode}${generated ? ' generated' : ''} ${grid.scale.title}`;
      if (key !== legendKey) {
        const notes: (string | Node)[] = [el('span', { class: 'gb-swatch gb-swatch-next', attrs: { 'aria-hidden': 'true' } }), 'guess is the actual next token'];
        if (grid.mode.startsWith('target')) notes.push(el('span', { class: 'gb-swatch gb-swatch-unknown', attrs: { 'aria-hidden': 'true' } }), 'target outside the top-k');
        // Exact where the data holds the token's probability: the target's values, the output's next token, a top-k.
        if (grid.mode === 'change') notes.push(el('span', { class: 'gb-swatch gb-swatch-unknown', attrs: { 'aria-hidden': 'true' } }), `unknown: outside a run’s top-${grid.k}`);
        if (generated) {
          notes.push(el('span', { class: 'gb-swatch gb-swatch-generated', attrs: { 'aria-hidden': 'true' } }), 'generated token');
          notes.push(el('span', { class: 'gb-swatch gb-swatch-chose-generated', attrs: { 'aria-hidden': 'true' } }), 'output that chose a generated token');
        }
        legendSlot.replaceChildren(legend(grid.scale, notes));
        legendKey = key;
      }
      if (selected && (selected.position >= grid.positions || selected.point >= grid.points)) selected = null;
      gridElement.show(grid, inspection.tokens, generated);
      drawTargetState(shown);
      drawDetails();
    },
    setCursor(token) {
      gridElement.setCursorColumn(token);
    },
    figure: (shown) => lensFigure(lensGrid(shown.inspection, ctx.state().lensColour, ctx.lensTarget(), lensBaseline(shown)), shown.inspection),
    table: (shown) => lensCsv(shown.inspection, ctx.lensTarget(), lensBaseline(shown)),
  };
}
