// The Attention tab's card for an explained completion: which context the model read while writing it, for
// the selected head or a layer's mean. Every token is a chip coloured by the attention it received from the
// positions that chose the generated tokens, relative to the most-read one; hidden for text from a document.

import { interpolateViridis } from 'd3-scale-chromatic';
import type { Token } from '../protocol/inspection';
import type { GeneratedSpan } from '../protocol/panel-messages';
import { formatProbability } from '../protocol/number-format';
import { pieceLabel } from '../protocol/token-piece';
import { endsLine } from '../protocol/visible-whitespace';
import { colourOf, cssColour, textColourOn, type ColourScale } from './colour-scale';
import { el, markedPiece } from './element-builder';
import { contextUse, isGenerated } from './generated-span';
import { legend } from './legend';

export interface CompletionContext {
  readonly element: HTMLElement;
  /** `pattern`: the head's [query, key] weights, n × n; `name` its hook and head. */
  show(pattern: Float32Array, tokens: readonly Token[], span: GeneratedSpan | null, name: string): void;
}

/** Linear from 0 to the most-read token's weight, so a spread-out head still shows where it looked most. */
function relativeScale(max: number): ColourScale {
  const top = max > 0 ? max : 1;
  return {
    title: 'mean attention received',
    ramp: interpolateViridis,
    position: (value) => (Number.isNaN(value) ? Number.NaN : Math.min(1, Math.max(0, value / top))),
    ticks: [0, top / 2, top].map((value) => ({ value, label: formatProbability(value) })),
  };
}

export function createCompletionContext(onReveal: (token: number) => void): CompletionContext {
  const title = el('h3', { class: 'gb-card-title' });
  const summary = el('p', { class: 'gb-hint' });
  const legendSlot = el('div', { class: 'gb-legend-slot' });
  const strip = el('div', { class: 'gb-chips gb-context-strip', attrs: { role: 'list', 'aria-label': 'Attention each token received while the completion was written' } });
  const element = el('section', { class: 'gb-card gb-completion-context', attrs: { hidden: true } }, [title, summary, legendSlot, strip]);

  strip.addEventListener('click', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('.gb-chip');
    if (chip) onReveal(Number(chip.dataset.index));
  });

  return {
    element,
    show(pattern, tokens, span, name) {
      element.hidden = span === null || span.end <= span.start;
      if (span === null || element.hidden) return;
      const n = tokens.length;
      const use = contextUse(pattern, n, span);
      // Keys the averaged rows can see: everything before the last generated token.
      const seen = use.queries.to;
      let max = 0;
      for (let k = 0; k < seen; k++) max = Math.max(max, use.weights[k]);
      const scale = relativeScale(max);
      const [hook, which] = name.split(' · ');
      title.replaceChildren('Context the completion read ', el('span', { class: 'gb-muted' }, [el('code', { class: 'gb-hook', text: hook }), ` · ${which}`]));
      const most = Array.from(use.weights.subarray(0, Math.min(seen, span.start)), (weight, k) => ({ k, weight }))
        .sort((a, b) => b.weight - a.weight)
        .slice(0, 3)
        .map(({ k, weight }) => `“${pieceLabel(tokens[k])}” ${formatProbability(weight)}`);
      summary.textContent =
        `Mean attention from the ${use.queries.to - use.queries.from} positions that chose the generated tokens (the last prompt token, then each generated token but the last): ` +
        `${formatProbability(use.onPrompt)} of it went to the prompt, ${formatProbability(1 - use.onPrompt)} to tokens already generated.` +
        (most.length ? ` Most read in the prompt: ${most.join(', ')}.` : '');
      legendSlot.replaceChildren(legend(scale, [el('span', { class: 'gb-swatch gb-swatch-generated', attrs: { 'aria-hidden': 'true' } }), 'generated token']));
      strip.replaceChildren(
        ...tokens.flatMap((token, k) => {
          const weight = k < seen ? use.weights[k] : Number.NaN;
          const colour = colourOf(scale, weight);
          const generated = isGenerated(span, k);
          const chip = el('div', {
            class: `gb-chip${generated ? ' gb-chip-generated' : ''}${colour ? '' : ' gb-chip-none'}`,
            attrs: {
              role: 'listitem',
              'data-index': k,
              title: colour ? `“${pieceLabel(token)}” received ${formatProbability(weight)} of the attention` : `“${pieceLabel(token)}”: the last generated token; no generated token was chosen after reading it`,
            },
          }, [el('span', { class: 'gb-chip-text' }, [markedPiece(token)])]);
          if (colour) {
            chip.style.backgroundColor = cssColour(colour);
            chip.style.color = textColourOn(colour);
          }
          return endsLine(token.text) ? [chip, el('span', { class: 'gb-line-break', attrs: { 'aria-hidden': 'true' } })] : [chip];
        }),
      );
    },
  };
}
