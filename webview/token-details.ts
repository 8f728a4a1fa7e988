// The panel under the chips for one selected token: its id and bytes, how the model rated it, what the model
// expected in its place (the final distribution one position earlier), and the sampling explorer on that.

import type { Inspection } from '../protocol/inspection';
import { bpeSpelling, hexBytes } from './byte-pieces';
import { el } from './element-builder';
import { formatBits, formatProbability, formatRank } from '../protocol/number-format';
import type { PanelContext } from './panel-context';
import { isGenerated } from './generated-span';
import { createSamplingPanel } from './sampling-panel';
import { finalTopK, pieceOf, surprisalBits } from '../protocol/inspection-reading';
import { tokenLabel, tokenList } from './token-list';

/** The model's own next-token top-k at a position: the lens at its last point. */
function facts(rows: readonly [string, string | Node][]): HTMLElement {
  return el('dl', { class: 'gb-facts' }, rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, [value])]));
}

export interface TokenDetails {
  readonly element: HTMLElement;
  render(): void;
}

export function createTokenDetails(ctx: PanelContext): TokenDetails {
  const sampler = createSamplingPanel((sampling) => ctx.update({ sampling }));
  const about = el('section', { class: 'gb-card gb-token-card' });
  const element = el('div', { class: 'gb-token-details', attrs: { hidden: true } }, [about, sampler.element]);
  let shownKey: { inspection: Inspection; index: number } | null = null;

  about.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('[data-follow]');
    if (!button || !shownKey) return;
    const { inspection, index } = shownKey;
    const piece = pieceOf(inspection.pieces, inspection.tokens[index].id);
    ctx.update({ tab: 'lens', lensColour: 'target-probability', lensTarget: piece });
    ctx.requestTarget(piece.text, piece.id);
  });

  function describe(inspection: Inspection, index: number): void {
    const n = inspection.tokens.length;
    if (index === n) {
      about.replaceChildren(
        el('h3', { class: 'gb-card-title', text: 'After the last token' }),
        el('p', { class: 'gb-hint', text: 'What the model expects to come next: its prediction at the last position.' }),
        tokenList(finalTopK(inspection, n - 1)),
      );
      return;
    }
    const token = inspection.tokens[index];
    const rows: [string, string | Node][] = [
      ['id', String(token.id)],
      ['text', tokenLabel(token)],
      ['UTF-8', `${hexBytes(token)}${token.bytes ? ' (part of a multi-byte character)' : ''}`],
      ['vocab', bpeSpelling(token)],
      ['range', `${token.start}–${token.end}`],
    ];
    const generated = isGenerated(ctx.shown()?.source.generated, index);
    const header = el('h3', { class: 'gb-card-title' }, [generated ? 'Generated token ' : 'Token ', el('span', { class: 'gb-muted', text: `at position ${index}` })]);
    if (index === 0) {
      about.replaceChildren(
        header,
        facts(rows),
        el('p', { class: 'gb-hint', text: 'Nothing came before the first token, so the model made no prediction for it.' }),
      );
      return;
    }
    const prob = inspection.next.prob.data[index - 1];
    const rank = inspection.next.rank.data[index - 1];
    rows.push(['model gave it', `${formatProbability(prob)} · rank ${formatRank(rank)} · ${formatBits(surprisalBits(prob))}`]);
    const entries = finalTopK(inspection, index - 1);
    const inList = entries.some((e) => e.id === token.id);
    about.replaceChildren(
      header,
      facts(rows),
      el('h4', { class: 'gb-subtitle', text: generated ? 'What the model chose from: the token it wrote and the ones it beat' : 'What the model expected here' }),
      tokenList(entries, {
        highlight: { id: token.id, label: generated ? 'generated' : 'actual' },
        outside: inList ? null : { piece: token, rank, prob },
      }),
      el('button', { class: 'gb-link-button', text: 'Follow this token through the layers in the logit lens →', attrs: { type: 'button', 'data-follow': '' } }),
    );
  }

  return {
    element,
    render() {
      const shown = ctx.shown();
      const index = ctx.state().selectedToken;
      element.hidden = !shown || index === null;
      if (!shown || index === null) return;
      const { inspection } = shown;
      if (shownKey?.inspection !== inspection || shownKey.index !== index) {
        describe(inspection, index);
        shownKey = { inspection, index };
      }
      // Token j was predicted at position j − 1; the "next?" chip (index n) is predicted at n − 1 too.
      const predictedAt = index - 1;
      sampler.element.hidden = predictedAt < 0;
      if (predictedAt >= 0) sampler.show(finalTopK(inspection, predictedAt), ctx.state().sampling);
    },
  };
}
