// The Heads tab's head card: one head's four scores in plain words, its pattern on the inspected text (the
// inspection's thumbnail), what it writes (its OV circuit's top tokens for the tokens it reads from here,
// and its direct effect on the prediction here), and the ways on: open it in the Attention tab, ablate it,
// save the card.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import { HEAD_SCORE_KINDS, type HeadCatalogue } from '../protocol/head-scores';
import type { HeadWrites, ScoredToken } from '../protocol/head-writes';
import { formatNumber } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';
import { createAblateHeadButton } from './ablate-head-button';
import { headThumbnail } from './attention-layout';
import { el } from './element-builder';
import { fileStem } from './figure-export';
import { DIRECT_DEFINITION, headCardDocument, OV_DEFINITION } from './head-card-document';
import { KIND_MEANINGS, KIND_TITLES } from './head-kinds';
import type { HeadAtPosition, HeadWritesStatus, PanelContext, Shown } from './panel-context';
import { patternBitmap } from './pattern-painter';

export interface HeadId {
  readonly layer: number;
  readonly head: number;
}

export interface HeadCard {
  readonly element: HTMLElement;
  /** Show `ref` with its scores from `catalogue`; asks the host what it writes at the position chosen in the Tokens tab. */
  show(shown: Shown, catalogue: HeadCatalogue, ref: HeadId): void;
}

/** The token the Tokens tab has chosen, else the last: where the head reads from and writes to. */
function positionOf(ctx: PanelContext, shown: Shown): number {
  const n = shown.inspection.tokens.length;
  const selected = ctx.state().selectedToken;
  return selected !== null && selected < n ? selected : n - 1;
}

const piece = (token: TokenPiece, extra = ''): HTMLElement =>
  el('span', { class: 'gb-piece', text: pieceLabel(token), attrs: { title: `id ${token.id}${token.bytes ? ' · part of a multi-byte character' : ''}${extra}` } });

function scored(tokens: readonly ScoredToken[]): HTMLElement {
  return el('ol', { class: 'gb-head-tokens' }, tokens.map((t) => el('li', {}, [piece(t), el('span', { class: 'gb-muted', text: ` ${formatNumber(t.value)}` })])));
}

function writesOf(writes: HeadWrites): HTMLElement[] {
  const sources = el('div', { class: 'gb-head-ov', attrs: { title: OV_DEFINITION } }, writes.sources.flatMap((s) => [
    el('div', { class: 'gb-head-ov-source' }, [piece(s.token, ` · position ${s.position}`), el('span', { class: 'gb-muted', text: ` ${formatNumber(s.attention)}` })]),
    scored(s.top),
  ]));
  const direct = el('div', { class: 'gb-head-direct', attrs: { title: DIRECT_DEFINITION } }, [
    el('div', {}, [el('span', { class: 'gb-why-up', text: 'promotes' }), scored(writes.promoted)]),
    el('div', {}, [el('span', { class: 'gb-why-down', text: 'suppresses' }), scored(writes.suppressed)]),
  ]);
  return [
    el('h4', { class: 'gb-subtitle', text: 'Its OV circuit: what it writes about the tokens it reads most here', attrs: { title: OV_DEFINITION } }),
    el('p', { class: 'gb-muted gb-head-note', text: 'Each token it attends to (with its attention weight) and the tokens W_E · W_V · W_O · W_U maps it to — the weights alone: no layer norms, no biases.' }),
    sources,
    el('h4', { class: 'gb-subtitle', text: 'Its direct effect on the prediction here', attrs: { title: DIRECT_DEFINITION } }),
    el('p', { class: 'gb-muted gb-head-note', text: 'Its output at this position read into the logits as the Why tab reads it (ln_final’s scale here, no later layers).' }),
    direct,
  ];
}

export function createHeadCard(ctx: PanelContext): HeadCard {
  const title = el('h3', { class: 'gb-card-title' });
  const open = el('vscode-button', { text: 'Open in Attention', attrs: { secondary: true, title: 'See its whole pattern on your text in the Attention tab' } });
  const ablate = createAblateHeadButton(ctx, 'gb-head-ablate');
  const save = el('vscode-button', { text: 'Save card as JSON', attrs: { secondary: true, title: 'Its scores and what it writes, with the definitions' } });
  const thumb = el('button', { class: 'gb-head-thumb', attrs: { type: 'button' } });
  const scores = el('dl', { class: 'gb-head-scores' });
  const where = el('p', { class: 'gb-head-where' });
  const writes = el('div', { class: 'gb-head-writes', attrs: { 'aria-live': 'polite' } });
  const element = el('section', { class: 'gb-card gb-head-card', attrs: { 'aria-label': 'The selected head' } }, [
    el('div', { class: 'gb-attn-detail-head' }, [title, el('div', { class: 'gb-head-actions' }, [open, ablate.element, save])]),
    el('div', { class: 'gb-head-summary' }, [thumb, scores]),
    where,
    writes,
  ]);

  let current: { shown: Shown; catalogue: HeadCatalogue; question: HeadAtPosition; status: HeadWritesStatus } | null = null;
  const openIt = () => current && ctx.update({ tab: 'attention', attentionHead: { layer: current.question.layer, head: current.question.head } });
  open.addEventListener('click', openIt);
  thumb.addEventListener('click', openIt);
  save.addEventListener('click', () => {
    if (!current) return;
    const { shown, catalogue, question, status } = current;
    const document = headCardDocument(shown.inspection.model.name, catalogue, question, status.kind === 'ready' ? status.writes : null);
    const filename = `glassbox-head-L${question.layer}H${question.head}-${fileStem(shown.source.uri)}.json`;
    ctx.saveFile({ format: 'json', filename, data: `${JSON.stringify(document, null, 2)}\n`, encoding: 'utf8' });
  });

  return {
    element,
    show(shown, catalogue, ref) {
      const { inspection } = shown;
      const position = positionOf(ctx, shown);
      const question = { ...ref, position };
      const status = ctx.headWrites(question);
      current = { shown, catalogue, question, status };
      title.replaceChildren(`L${ref.layer}H${ref.head} `, el('code', { class: 'gb-hook gb-muted', text: `blocks.${ref.layer}.attn · head ${ref.head}` }));
      ablate.show(ref);

      const thumbnail = headThumbnail(inspection.attention, ref);
      const canvas = patternBitmap(thumbnail.data, thumbnail.tiles, thumbnail.tiles);
      canvas.className = 'gb-thumb-canvas';
      thumb.replaceChildren(canvas);
      thumb.title = `Its pattern on your text (${inspection.attention.hooks[ref.layer]}, head ${ref.head}; queries down, keys across, max-pooled). Click to open it in the Attention tab.`;
      scores.replaceChildren(
        ...HEAD_SCORE_KINDS.flatMap((k) => [
          el('dt', { text: KIND_TITLES[k] }),
          el('dd', {}, [el('strong', { text: formatNumber(catalogue.scores[k][ref.layer][ref.head]) }), el('span', { class: 'gb-muted', text: ` how strongly it ${KIND_MEANINGS[k]}` })]),
        ]),
      );
      where.replaceChildren(
        'At ',
        piece(inspection.tokens[position]),
        ` (position ${position}; choose another token in the Tokens tab)${shown.ablated ? ', in the model with the ablations above' : ''}:`,
      );
      if (status.kind === 'ready') writes.replaceChildren(...writesOf(status.writes));
      else writes.replaceChildren(el('p', { class: status.kind === 'failed' ? 'gb-error-text' : 'gb-muted', text: status.kind === 'pending' ? 'Reading what it writes…' : `Could not read what it writes: ${status.message}` }));
    },
  };
}
