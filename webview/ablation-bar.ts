// The bar above the tabs while units are ablated: one chip per unit (click to restore it), zero or mean
// ablation, Clear, and what the ablation changed against the unablated baseline — at the chosen token, over
// the whole text, and in the guess after the last token. Every tab below shows the ablated model.

import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { ABLATION_MODES, formatAblation, sameAblation, type Ablation, type AblationMode } from '../protocol/interventions';
import { formatNumber, formatProbability, formatRank, formatSignedBits } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';
import { textChange, tokenChange } from './ablation-change';
import { el } from './element-builder';
import type { PanelContext, Shown } from './panel-context';

const modeLabels: Readonly<Record<AblationMode, string>> = { zero: 'to zero', mean: 'to its mean' };

/** A unit in plain words, for a chip's tooltip. */
export function describeAblation(a: Ablation): string {
  switch (a.hook) {
    case 'attn.hook_z':
      return `head ${a.unit} of layer ${a.layer}`;
    case 'hook_attn_out':
      return `the whole attention output of layer ${a.layer}`;
    case 'hook_mlp_out':
      return `the MLP of layer ${a.layer}`;
    case 'mlp.hook_post':
      return `neuron ${a.unit} of layer ${a.layer}’s MLP`;
  }
}

export function createAblationBar(ctx: PanelContext): { readonly element: HTMLElement; render(shown: Shown | null): void } {
  const mode = el('vscode-single-select', { class: 'gb-select gb-ablation-mode', attrs: { 'aria-label': 'Ablate each unit' } });
  for (const m of ABLATION_MODES) mode.append(el('vscode-option', { text: modeLabels[m], attrs: { value: m } }));
  mode.addEventListener('change', () => {
    const setting = ctx.ablation();
    if (mode.value !== setting.mode) ctx.setAblation({ ...setting, mode: mode.value as AblationMode });
  });
  const chips = el('span', { class: 'gb-ablation-chips', attrs: { role: 'list', 'aria-label': 'Ablated units' } });
  const clear = el('button', { class: 'gb-link-button', text: 'Clear', attrs: { type: 'button', title: 'Restore every unit: show the model as it is' } });
  clear.addEventListener('click', () => ctx.setAblation({ ...ctx.ablation(), ablations: [] }));
  const summary = el('div', { class: 'gb-ablation-summary', attrs: { 'aria-live': 'polite' } });
  const element = el('div', { class: 'gb-ablation-bar', attrs: { hidden: true, role: 'region', 'aria-label': 'Ablation' } }, [
    el('div', { class: 'gb-ablation-row' }, [el('strong', { text: 'Ablated' }), chips, mode, clear]),
    summary,
  ]);
  chips.addEventListener('click', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('[data-ablation]');
    if (!chip) return;
    const setting = ctx.ablation();
    const removed = setting.ablations[Number(chip.dataset.ablation)];
    if (removed) ctx.setAblation({ ...setting, ablations: setting.ablations.filter((a) => !sameAblation(a, removed)) });
  });

  return {
    element,
    render(shown) {
      const setting = ctx.ablation();
      element.hidden = setting.ablations.length === 0;
      if (element.hidden) return;
      if (mode.value !== setting.mode) mode.value = setting.mode;
      chips.replaceChildren(
        ...setting.ablations.map((a, i) =>
          el('button', { class: 'gb-ablation-chip', attrs: { type: 'button', role: 'listitem', 'data-ablation': i, title: `Ablating ${describeAblation(a)}. Click to restore it.` } }, [
            formatAblation(a),
            el('span', { class: 'gb-ablation-remove', text: '×', attrs: { 'aria-hidden': 'true' } }),
          ]),
        ),
      );
      const ablated = shown?.ablated;
      if (!shown || !ablated) {
        summary.textContent = 'Running the model with these units ablated…';
        return;
      }
      const { inspection } = shown;
      const { baseline } = ablated;
      const text = textChange(inspection, baseline);
      const selected = ctx.state().selectedToken;
      const position = selected !== null && selected > 0 && selected < inspection.tokens.length ? selected : inspection.tokens.length - 1;
      const token = tokenChange(inspection, baseline, position);
      const parts: (string | Node)[] = [];
      if (token) {
        const piece = JSON.stringify(pieceLabel(inspection.tokens[position]));
        parts.push(
          el('span', { attrs: { title: `The probability the model gave token ${position} (${piece}) from the tokens before it, unablated → ablated.` } }, [
            `P(${piece}) `,
            el('strong', { text: `${formatProbability(token.before.prob)} → ${formatProbability(token.after.prob)}` }),
            ` (${formatSignedBits(token.bits)}, rank ${formatRank(token.before.rank)} → ${formatRank(token.after.rank)})`,
          ]),
        );
      }
      const guess = (t: TokenPiece) => JSON.stringify(pieceLabel(t));
      parts.push(
        el('span', {}, ['perplexity ', el('strong', { text: `${formatNumber(text.perplexity.before, 1)} → ${formatNumber(text.perplexity.after, 1)}` })]),
        el('span', { attrs: { title: 'Positions where the model’s most likely next token is another one than unablated.' } }, [
          'top guess changed at ',
          el('strong', { text: `${text.topGuessChanged} of ${text.positions}` }),
          ' positions',
        ]),
        el('span', {}, ['next: ', el('strong', { text: text.nextGuess.before.id === text.nextGuess.after.id ? guess(text.nextGuess.after) : `${guess(text.nextGuess.before)} → ${guess(text.nextGuess.after)}` })]),
      );
      summary.replaceChildren(...parts);
    },
  };
}
