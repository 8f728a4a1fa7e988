// The Attention tab: all heads at a glance, and the selected head (or a layer's mean) as a heatmap with
// token labels or as lines, named by its TransformerLens hook.

import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import type { Inspection } from '../protocol/inspection';
import type { AttentionView } from '../protocol/panel-messages';
import { attentionShape, headName, headPattern, type HeadRef } from './attention-layout';
import { createAttentionLines } from './attention-lines';
import { createAttentionMatrix } from './attention-matrix';
import { createAttentionOverview } from './attention-overview';
import { attentionScale } from './colour-scale';
import { createCompletionContext } from './completion-context';
import { el } from './element-builder';
import { explanation } from './explanations';
import { attentionCsv } from './export-tables';
import { attentionFigure } from './figure-svg';
import { legend } from './legend';
import type { PanelContext, PanelView } from './panel-context';

export function createAttentionView(ctx: PanelContext): PanelView {
  const overview = createAttentionOverview((ref) => ctx.update({ attentionHead: ref }));
  const matrix = createAttentionMatrix((token) => ctx.reveal(token));
  const lines = createAttentionLines((token) => ctx.reveal(token));
  const context = createCompletionContext((token) => ctx.reveal(token));

  const radios = (['matrix', 'lines'] as const).map((view) =>
    el('vscode-radio', { text: view === 'matrix' ? 'Heatmap' : 'Lines', attrs: { name: 'gb-attention-view', value: view } }),
  );
  const group = el('vscode-radio-group', { attrs: { 'aria-label': 'Show the head as' } }, radios);
  group.addEventListener('change', () => {
    const checked = radios.find((r) => r.checked);
    if (checked) ctx.update({ attentionView: checked.value as AttentionView });
  });

  const title = el('h3', { class: 'gb-card-title gb-head-title' });
  const detail = el('section', { class: 'gb-card gb-attn-detail' }, [
    el('div', { class: 'gb-attn-detail-head' }, [title, group]),
    matrix.element,
    lines.element,
  ]);
  const element = el('section', { class: 'gb-view gb-attention' }, [
    explanation('attention'),
    el('div', { class: 'gb-legend-slot' }, [legend(attentionScale(), [el('span', { class: 'gb-swatch gb-swatch-masked', attrs: { 'aria-hidden': 'true' } }), 'masked: later tokens'])]),
    context.element,
    el('div', { class: 'gb-attn-layout' }, [
      el('section', { class: 'gb-card gb-attn-overview' }, [el('h3', { class: 'gb-card-title', text: 'All heads' }), overview.element]),
      detail,
    ]),
  ]);

  let shownKey: { inspection: Inspection; ref: HeadRef } | null = null;
  let cursor: number | null = null;

  return {
    element,
    render({ inspection, source }) {
      const state = ctx.state();
      const ref = state.attentionHead;
      overview.show(inspection.attention, ref);
      const { heads } = attentionShape(inspection.attention);
      const name = headName(ref, inspection.attention.hooks, heads);
      const [hook, which] = name.split(' · ');
      title.replaceChildren(el('code', { class: 'gb-hook', text: hook }), el('span', { class: 'gb-muted', text: ` · ${which}` }));
      for (const radio of radios) radio.checked = radio.value === state.attentionView;
      matrix.element.hidden = state.attentionView !== 'matrix';
      lines.element.hidden = state.attentionView !== 'lines';
      const changed = shownKey?.inspection !== inspection || shownKey.ref.layer !== ref.layer || shownKey.ref.head !== ref.head;
      if (changed) {
        const pattern = headPattern(inspection.attention, ref);
        matrix.show(pattern, inspection.tokens, name);
        lines.show(pattern, inspection.tokens, name);
        context.show(pattern, inspection.tokens, source.generated ?? null, name);
        shownKey = { inspection, ref };
        matrix.setCursor(cursor);
        lines.setCursor(cursor);
      } else matrix.redraw();
    },
    setCursor(token) {
      cursor = token;
      matrix.setCursor(token);
      lines.setCursor(token);
    },
    figure: ({ inspection }) => attentionFigure(inspection, ctx.state().attentionHead),
    table: ({ inspection }) => attentionCsv(inspection, ctx.state().attentionHead),
  };
}
