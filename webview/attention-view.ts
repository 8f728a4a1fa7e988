// The Attention tab: all heads at a glance, and the selected head (or a layer's mean) as a heatmap with
// token labels or as lines, named by its TransformerLens hook.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import type { Inspection } from '../protocol/inspection';
import type { Float32Tensor } from '../protocol/tensor';
import type { AttentionView } from '../protocol/panel-messages';
import { createAblateHeadButton } from './ablate-head-button';
import { attentionShape, headName, squarePattern, type HeadRef } from './attention-layout';
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

/**
 * The selected head's [query, key] pattern (or its layer's mean), for an export; an export of a layer still
 * being computed fails with why.
 */
function selectedPattern(ctx: PanelContext): { ref: HeadRef; pattern: Float32Array } {
  const ref = ctx.state().attentionHead;
  const status = ctx.headPattern(ref);
  if (status.kind !== 'ready') throw new Error(status.kind === 'pending' ? 'this head’s pattern is still being computed' : status.message);
  return { ref, pattern: squarePattern(status.pattern) };
}

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
  // A long text carries the full patterns of the layer shown when it was inspected; another layer's come
  // from the model process (tens of milliseconds, or a forward run if it has inspected other text since).
  const statusText = el('span');
  // A failed request (the model process restarted, say) is asked again only when the user says so.
  const retry = el('vscode-button', { class: 'gb-attn-retry', text: 'Try again', attrs: { secondary: true } });
  retry.addEventListener('click', () => ctx.retryHeadPattern(ctx.state().attentionHead));
  const status = el('p', { class: 'gb-attn-status gb-muted', attrs: { role: 'status' } }, [statusText, retry]);
  const ablate = createAblateHeadButton(ctx, 'gb-attn-ablate');
  const detail = el('section', { class: 'gb-card gb-attn-detail' }, [
    el('div', { class: 'gb-attn-detail-head' }, [title, group, ablate.element]),
    status,
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

  let shownKey: { inspection: Inspection; ref: HeadRef; pattern: Float32Tensor } | null = null;
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
      ablate.show(ref.head === null ? null : { layer: ref.layer, head: ref.head });
      const head = ctx.headPattern(ref);
      status.hidden = head.kind === 'ready';
      if (head.kind !== 'ready') {
        statusText.textContent = head.kind === 'pending' ? `Computing ${hook}…` : `Could not compute ${hook}: ${head.message}`;
        retry.hidden = head.kind === 'pending';
        matrix.element.hidden = true;
        lines.element.hidden = true;
        return;
      }
      matrix.element.hidden = state.attentionView !== 'matrix';
      lines.element.hidden = state.attentionView !== 'lines';
      const changed = shownKey?.inspection !== inspection || shownKey.ref.layer !== ref.layer || shownKey.ref.head !== ref.head || shownKey.pattern !== head.pattern;
      if (changed) {
        const pattern = squarePattern(head.pattern);
        matrix.show(pattern, inspection.tokens, name);
        lines.show(pattern, inspection.tokens, name);
        context.show(pattern, inspection.tokens, source.generated ?? null, name);
        shownKey = { inspection, ref, pattern: head.pattern };
        matrix.setCursor(cursor);
        lines.setCursor(cursor);
      } else matrix.redraw();
    },
    setCursor(token) {
      cursor = token;
      matrix.setCursor(token);
      lines.setCursor(token);
    },
    figure: ({ inspection }) => {
      const { ref, pattern } = selectedPattern(ctx);
      return attentionFigure(inspection, ref, pattern);
    },
    table: ({ inspection }) => {
      const { ref, pattern } = selectedPattern(ctx);
      return attentionCsv(inspection, ref, pattern);
    },
  };
}
