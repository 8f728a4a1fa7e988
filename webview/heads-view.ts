// The Heads tab: what every attention head of the loaded model tends to do, as TransformerLens's head
// detector scores it on probes of random tokens repeated (engine/experiments/head-scores.ts): a layer × head
// grid coloured by the chosen kind, and the top heads of each kind. Clicking a head selects it and shows its
// card (head-card.ts), from which it opens in the Attention tab.

import { HEAD_SCORE_KINDS, type HeadCatalogue, type HeadScoreKind } from '../protocol/head-scores';
import { formatNumber } from '../protocol/number-format';
import { el } from './element-builder';
import { explanation } from './explanations';
import { layerGridFigure } from './figure-svg';
import { createHeadCard, type HeadId } from './head-card';
import { KIND_MEANINGS, KIND_TITLES } from './head-kinds';
import type { Figure, PanelContext, PanelView, Shown } from './panel-context';

/** The `count` heads with the highest score of `kind`, highest first. */
export function topHeads(catalogue: HeadCatalogue, kind: HeadScoreKind, count: number): { layer: number; head: number; score: number }[] {
  return catalogue.scores[kind]
    .flatMap((row, layer) => row.map((score, head) => ({ layer, head, score })))
    .sort((a, b) => b.score - a.score || a.layer - b.layer || a.head - b.head)
    .slice(0, count);
}

const tint = (score: number): string => `rgba(60, 140, 220, ${Math.min(1, Math.max(0, score)).toFixed(3)})`;

export function createHeadsView(ctx: PanelContext): PanelView {
  let kind: HeadScoreKind = 'previousToken';
  const kinds = el('div', { class: 'gb-toolbar', attrs: { role: 'radiogroup', 'aria-label': 'Colour heads by' } });
  const status = el('p', { class: 'gb-muted', attrs: { 'aria-live': 'polite' } });
  const grid = el('div', { class: 'gb-why-grid gb-heads-grid', attrs: { role: 'grid', 'aria-label': 'Head scores by layer and head' } });
  const tops = el('div', { class: 'gb-heads-tops' });
  const card = createHeadCard(ctx);
  card.element.hidden = true;
  /** The head whose card shows; none until one is clicked. */
  let selected: HeadId | null = null;
  const element = el('section', { class: 'gb-view gb-heads' }, [
    explanation('heads'),
    kinds,
    status,
    el('div', { class: 'gb-heads-layout' }, [el('div', { class: 'gb-heads-main' }, [grid, tops]), card.element]),
  ]);
  let last: Shown | null = null;
  element.addEventListener('click', (event) => {
    const cell = (event.target as Element).closest<HTMLElement>('[data-layer]');
    if (!cell || !last) return;
    selected = { layer: Number(cell.dataset.layer), head: Number(cell.dataset.head) };
    render(last);
    // Stacked in a narrow panel, the card is below the lists: bring it into view.
    card.element.scrollIntoView({ block: 'nearest' });
  });

  function render(shown: Shown): void {
    last = shown;
    kinds.replaceChildren(
      el('span', { class: 'gb-toolbar-label', text: 'Colour by' }),
      ...HEAD_SCORE_KINDS.map((k) => {
        const button = el('button', { class: `gb-kind${k === kind ? ' gb-kind-on' : ''}`, text: KIND_TITLES[k], attrs: { type: 'button', role: 'radio', 'aria-checked': String(k === kind) } });
        button.addEventListener('click', () => {
          kind = k;
          render(shown);
        });
        return button;
      }),
    );
    const answer = ctx.headCatalogue();
    if (answer.kind !== 'ready') {
      status.textContent = answer.kind === 'pending' ? 'Scoring every head on probes of random tokens repeated…' : answer.message;
      grid.replaceChildren();
      tops.replaceChildren();
      card.element.hidden = true;
      return;
    }
    const { catalogue } = answer;
    const { nLayer, nHead } = shown.inspection.model;
    // A head of a bigger model shown before is not one of this one's.
    if (selected && (selected.layer >= nLayer || selected.head >= nHead)) selected = null;
    status.textContent = `How strongly each head ${KIND_MEANINGS[kind]} (its mean attention weight, 0 to 1), over ${catalogue.probes} probes of ${catalogue.repeatLength} random tokens repeated. Click a head for its card: its scores, its pattern on your text and what it writes.`;
    grid.style.setProperty('--gb-why-columns', String(nHead + 1));
    grid.replaceChildren(
      el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [
        el('span', { class: 'gb-why-label', text: 'layer', attrs: { role: 'columnheader' } }),
        ...Array.from({ length: nHead }, (_, h) => el('span', { class: 'gb-why-label', text: `H${h}`, attrs: { role: 'columnheader' } })),
      ]),
      ...catalogue.scores[kind].map((row, layer) =>
        el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [
          el('span', { class: 'gb-why-label', text: String(layer), attrs: { role: 'rowheader' } }),
          ...row.map((score, head) => {
            const on = selected?.layer === layer && selected.head === head;
            const cell = el('button', {
              class: `gb-why-cell gb-head-cell${on ? ' gb-head-selected' : ''}`,
              attrs: { type: 'button', role: 'gridcell', 'aria-selected': String(on), 'data-layer': layer, 'data-head': head, title: `L${layer}H${head}: ${KIND_TITLES[kind]} ${formatNumber(score)}`, 'aria-label': `layer ${layer} head ${head}: ${formatNumber(score)}` },
            });
            cell.style.background = tint(score);
            return cell;
          }),
        ]),
      ),
    );
    tops.replaceChildren(
      ...HEAD_SCORE_KINDS.map((k) =>
        el('div', { class: 'gb-heads-top' }, [
          el('h3', { text: KIND_TITLES[k] }),
          el('ol', { class: 'gb-why-list' }, topHeads(catalogue, k, 3).map((t) => el('li', {}, [
            el('button', { class: 'gb-link-button', text: `L${t.layer}H${t.head}`, attrs: { type: 'button', 'data-layer': t.layer, 'data-head': t.head, title: 'Show its card: its scores, its pattern on your text and what it writes' } }),
            `  ${formatNumber(t.score)}`,
          ]))),
        ]),
      ),
    );
    card.element.hidden = selected === null;
    if (selected) card.show(shown, catalogue, selected);
  }

  function catalogueOf(): HeadCatalogue {
    const answer = ctx.headCatalogue();
    if (answer.kind !== 'ready') throw new Error('the head scores have not arrived yet');
    return answer.catalogue;
  }

  return {
    element,
    render,
    setCursor() {},
    figure(shown): Figure {
      const columns = Array.from({ length: shown.inspection.model.nHead }, (_, h) => `H${h}`);
      return layerGridFigure(`${KIND_TITLES[kind]} score by layer and head`, columns, catalogueOf().scores[kind], tint);
    },
    // The catalogue as the panel has it: every kind's [layer][head] scores, averaged over `probes` seeded probes.
    json: () => catalogueOf(),
    table() {
      const catalogue = catalogueOf();
      const lines = [`layer,head,${HEAD_SCORE_KINDS.join(',')}`];
      catalogue.scores.previousToken.forEach((row, l) => row.forEach((_, h) => lines.push(`${l},${h},${HEAD_SCORE_KINDS.map((k) => catalogue.scores[k][l][h]).join(',')}`)));
      return `${lines.join('\n')}\n`;
    },
  };
}
