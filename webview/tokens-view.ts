// The Tokens tab: the text as GPT-2's tokens, each a chip coloured by how likely the model found it, with
// perplexity, a legend, and the details of a selected token.

import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { Inspection } from '../protocol/inspection';
import { tokenColourModes, type GeneratedSpan, type TokenColourMode } from '../protocol/panel-messages';
import { colourOf, cssColour, textColourOn } from './colour-scale';
import { el, markedPiece } from './element-builder';
import { explanation } from './explanations';
import { generatedStats, isGenerated } from './generated-span';
import { tokensFigure } from './figure-svg';
import { tokensCsv } from './export-tables';
import { legend } from './legend';
import { formatBits, formatNumber, formatProbability, formatRank, formatSignedBits } from '../protocol/number-format';
import type { PanelContext, PanelView, Shown } from './panel-context';
import { finalTopK, surprisalBits } from '../protocol/inspection-reading';
import { tokenScale, tokenStats, tokenValue } from './token-colouring';
import { createTokenDetails } from './token-details';
import { pieceLabel } from '../protocol/token-piece';
import { endsLine } from '../protocol/visible-whitespace';

const modeLabels: Readonly<Record<TokenColourMode, string>> = {
  probability: 'Probability',
  surprisal: 'Surprisal',
  rank: 'Rank',
  change: 'Change (ablation)',
};

/** `baseline`: the same tokens in the unablated model, when the inspection is of an ablated one. */
function chipTitle(inspection: Inspection, j: number, baseline: Inspection | null): string {
  const token = inspection.tokens[j];
  const head = `“${pieceLabel(token)}” · id ${token.id} · position ${j}`;
  if (j === 0) return `${head}\nThe first token: nothing predicted it.`;
  const prob = inspection.next.prob.data[j - 1];
  const rank = inspection.next.rank.data[j - 1];
  const model = baseline ? 'The ablated model' : 'The model';
  const line = `${head}\n${model} gave it ${formatProbability(prob)} (rank ${formatRank(rank)}, ${formatBits(surprisalBits(prob))}).`;
  if (!baseline) return line;
  const before = baseline.next.prob.data[j - 1];
  return `${line}\nUnablated: ${formatProbability(before)} (rank ${formatRank(baseline.next.rank.data[j - 1])}); change ${formatSignedBits(Math.log2(prob / before))}.`;
}


export function createTokensView(ctx: PanelContext): PanelView {
  const select = el('vscode-single-select', { class: 'gb-select', attrs: { 'aria-label': 'Colour tokens by' } });
  const options = tokenColourModes.map((mode) => el('vscode-option', { text: modeLabels[mode], attrs: { value: mode } }));
  select.append(...options);
  const changeOption = options[tokenColourModes.indexOf('change')];
  select.addEventListener('change', () => ctx.update({ tokenColour: select.value as TokenColourMode }));
  const ids = el('vscode-checkbox', { attrs: { label: 'Show ids' } });
  ids.addEventListener('change', () => ctx.update({ showTokenIds: ids.checked }));
  const stats = el('div', { class: 'gb-stats', attrs: { 'aria-live': 'polite' } });
  const legendSlot = el('div', { class: 'gb-legend-slot' });
  const generatedRow = el('div', { class: 'gb-stats gb-generated-stats', attrs: { hidden: true, 'aria-live': 'polite' } });
  const chips = el('div', { class: 'gb-chips', attrs: { role: 'listbox', 'aria-label': 'Tokens of the inspected text' } });
  const details = createTokenDetails(ctx);
  const element = el('section', { class: 'gb-view gb-tokens' }, [
    explanation('tokens'),
    el('div', { class: 'gb-toolbar' }, [el('span', { class: 'gb-toolbar-label', text: 'Colour by' }), select, ids, stats]),
    legendSlot,
    generatedRow,
    chips,
    details.element,
  ]);

  let built: Inspection | null = null;
  let chipEls: HTMLElement[] = [];
  let painted: TokenColourMode | null = null;
  /** The unablated inspection the chips compare with, for the inspection built (null when not ablated). */
  let baseline: Inspection | null = null;
  let cursor: number | null = null;
  /** The generated span the chips, legend and summary show, for the inspection built. */
  let marked: { inspection: Inspection; span: GeneratedSpan | null } | null = null;

  function build(inspection: Inspection, compared: Inspection | null): void {
    baseline = compared;
    const n = inspection.tokens.length;
    const children: HTMLElement[] = [];
    chipEls = inspection.tokens.map((token, j) => {
      const chip = el('div', {
        class: 'gb-chip',
        attrs: { role: 'option', 'data-index': j, tabindex: j === 0 ? 0 : -1, 'aria-selected': 'false', title: chipTitle(inspection, j, baseline) },
      }, [
        el('span', { class: 'gb-chip-text' }, [markedPiece(token)]),
        el('span', { class: 'gb-chip-id', text: String(token.id), attrs: { 'aria-hidden': 'true' } }),
      ]);
      children.push(chip);
      if (endsLine(token.text)) children.push(el('span', { class: 'gb-line-break', attrs: { 'aria-hidden': 'true' } }));
      return chip;
    });
    const guess = finalTopK(inspection, n - 1)[0];
    const next = el('div', {
      class: 'gb-chip gb-chip-next',
      attrs: { role: 'option', 'data-index': n, tabindex: -1, 'aria-selected': 'false', title: 'What the model expects after the last token' },
    }, [el('span', { class: 'gb-chip-text' }, ['next? ', el('em', {}, [markedPiece(guess)])])]);
    chipEls.push(next);
    children.push(next);
    chips.replaceChildren(...children);
    built = inspection;
    painted = null;
  }

  /** An explained completion: outline the tokens the model wrote and sum up how sure it was of them. */
  function markGenerated(inspection: Inspection, span: GeneratedSpan | null): void {
    chipEls.forEach((chip, j) => {
      if (j >= inspection.tokens.length) return;
      const generated = isGenerated(span, j);
      chip.classList.toggle('gb-chip-generated', generated);
      chip.title = chipTitle(inspection, j, baseline) + (generated ? '\nGenerated: the model wrote this token.' : '');
    });
    generatedRow.hidden = span === null;
    if (span !== null) {
      const s = generatedStats(inspection, span);
      const parts: Node[] = [
        el('span', { class: 'gb-swatch gb-swatch-generated', attrs: { 'aria-hidden': 'true' } }),
        el('span', {}, ['generated ', el('strong', { text: String(s.count) }), ` token${s.count === 1 ? '' : 's'}`]),
        el('span', { attrs: { title: 'mean of the probabilities the model gave the tokens it wrote, each where it chose it' } }, [
          'mean probability ',
          el('strong', { text: formatProbability(s.meanProb) }),
        ]),
        el('span', {}, ['the top guess for ', el('strong', { text: `${s.topGuesses} of ${s.count}` })]),
      ];
      if (s.weakest) {
        const { position, prob } = s.weakest;
        parts.push(
          el('button', { class: 'gb-link-button', text: `least likely: “${pieceLabel(inspection.tokens[position])}” ${formatProbability(prob)}`, attrs: { type: 'button', 'data-select': position, title: 'Show what the model expected there' } }),
        );
      }
      generatedRow.replaceChildren(...parts);
    }
    marked = { inspection, span };
    painted = null;
  }

  function paint(inspection: Inspection, mode: TokenColourMode): void {
    const scale = tokenScale(mode);
    inspection.tokens.forEach((_, j) => {
      const colour = colourOf(scale, tokenValue(inspection.next, j, mode, baseline?.next));
      const chip = chipEls[j];
      chip.classList.toggle('gb-chip-none', colour === null);
      chip.style.backgroundColor = colour ? cssColour(colour) : '';
      chip.style.color = colour ? textColourOn(colour) : '';
    });
    const notes: (string | Node)[] = [el('span', { class: 'gb-swatch gb-swatch-none' }), 'first token: not predicted'];
    if (marked?.span) notes.push(el('span', { class: 'gb-swatch gb-swatch-generated' }), 'generated by the model');
    legendSlot.replaceChildren(legend(scale, notes));
    painted = mode;
  }

  function chooseToken(index: number, reveal: boolean): void {
    const n = built?.tokens.length ?? 0;
    ctx.update({ selectedToken: index });
    if (reveal && index < n) ctx.reveal(index);
  }

  function focusChip(index: number): void {
    const target = chipEls[Math.max(0, Math.min(chipEls.length - 1, index))];
    for (const chip of chipEls) chip.tabIndex = chip === target ? 0 : -1;
    target.focus();
  }

  generatedRow.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('[data-select]');
    if (button) chooseToken(Number(button.dataset.select), false);
  });
  chips.addEventListener('click', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('.gb-chip');
    if (chip) chooseToken(Number(chip.dataset.index), true);
  });
  chips.addEventListener('keydown', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('.gb-chip');
    if (!chip) return;
    const index = Number(chip.dataset.index);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      const step = moves[event.key];
      focusChip(Number.isFinite(step) ? index + step : step > 0 ? chipEls.length - 1 : 0);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      chooseToken(index, true);
    }
  });

  return {
    element,
    render(shown) {
      const { inspection, source } = shown;
      const state = ctx.state();
      if (built !== inspection) build(inspection, shown.ablated?.baseline ?? null);
      const span = source.generated ?? null;
      if (marked?.inspection !== inspection || marked.span !== span) markGenerated(inspection, span);
      const mode = shownTokenColour(shown, state.tokenColour);
      changeOption.disabled = !shown.ablated;
      if (painted !== mode) paint(inspection, mode);
      if (select.value !== mode) select.value = mode;
      ids.checked = state.showTokenIds;
      chips.classList.toggle('gb-show-ids', state.showTokenIds);
      chipEls.forEach((chip, j) => {
        const selected = j === state.selectedToken;
        chip.classList.toggle('gb-selected', selected);
        chip.setAttribute('aria-selected', String(selected));
        chip.classList.toggle('gb-cursor', j === cursor);
        // One tab stop for the whole list (roving tabindex): the selected chip, or the first.
        chip.tabIndex = j === (state.selectedToken ?? 0) ? 0 : -1;
      });
      const s = tokenStats(inspection);
      stats.replaceChildren(
        el('span', {}, [el('strong', { text: String(s.tokens) }), ' tokens']),
        el('span', { attrs: { title: 'exp of the mean negative log-probability of each token given the ones before it' } }, [
          'perplexity ',
          el('strong', { text: formatNumber(s.perplexity, 1) }),
        ]),
        el('span', {}, [el('strong', { text: formatNumber(s.meanSurprisalBits, 2) }), ' bits/token']),
      );
      details.render();
    },
    setCursor(token) {
      cursor = token;
      chipEls.forEach((chip, j) => chip.classList.toggle('gb-cursor', j === token));
      if (token !== null) chipEls[token]?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    },
    figure: (shown) => tokensFigure(shown.inspection, shownTokenColour(shown, ctx.state().tokenColour), shown.ablated?.baseline.next),
    table: ({ inspection }) => tokensCsv(inspection),
  };
}

/** The colour mode in effect: a change needs an ablation to compare with, and falls back to probability without one. */
export function shownTokenColour(shown: Shown, mode: TokenColourMode): TokenColourMode {
  return mode === 'change' && !shown.ablated ? 'probability' : mode;
}
