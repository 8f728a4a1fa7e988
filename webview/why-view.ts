// The Why tab: direct logit attribution of one prediction. For the token chosen in the Tokens tab (by
// default the last), why does the model give the token that follows (or, after the last, its top guess) a
// higher logit than its strongest competitor? Every head, attention bias, MLP, the embeddings and ln_final's
// bias get their additive share of logit(target) − logit(versus); they sum to it exactly.

import { formatAblation, parseAblation, sameAblation, type Ablation, type AttributionComponent, type AttributionReport } from '../protocol/interventions';
import { formatNumber } from '../protocol/number-format';
import { finalTopK, pieceOf } from '../protocol/inspection-reading';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';
import { fromVisibleWhitespace } from '../protocol/visible-whitespace';
import { el } from './element-builder';
import { explanation } from './explanations';
import { layerGridFigure } from './figure-svg';
import type { Figure, PanelContext, PanelView, Shown } from './panel-context';

/** The prediction explained, and what it is explained against. */
export interface WhyQuestion {
  readonly position: number;
  readonly targetId: number;
  readonly versusId: number | null;
}

/** The default question at `position`: the token that follows (or the top guess), against the strongest other guess. */
export function defaultQuestion(shown: Shown, position: number): WhyQuestion {
  const { tokens } = shown.inspection;
  const top = finalTopK(shown.inspection, position);
  const targetId = position + 1 < tokens.length ? tokens[position + 1].id : top[0].id;
  const versus = top.find((e) => e.id !== targetId);
  return { position, targetId, versusId: versus ? versus.id : null };
}

/** Per layer: each head's value, the attention bias's, the MLP's. */
export function layerRows(report: AttributionReport, nLayer: number, nHead: number): { heads: number[]; bias: number; mlp: number }[] {
  const rows = Array.from({ length: nLayer }, () => ({ heads: new Array<number>(nHead).fill(0), bias: 0, mlp: 0 }));
  for (const c of report.components) {
    const match = /^blocks\.(\d+)\.(attn\.hook_result|attn\.b_O|hook_mlp_out)$/.exec(c.hook);
    if (!match) continue;
    const row = rows[Number(match[1])];
    if (match[2] === 'attn.hook_result') row.heads[c.head ?? 0] = c.value;
    else if (match[2] === 'attn.b_O') row.bias = c.value;
    else row.mlp = c.value;
  }
  return rows;
}

/** What a component is, in plain words, and what it does to the two tokens. */
export function describeComponent(c: AttributionComponent, target: string, versus: string | null): string {
  const what =
    c.hook === 'hook_embed' ? 'The token’s own embedding'
    : c.hook === 'hook_pos_embed' ? 'The position embedding'
    : c.hook === 'ln_final.b' ? 'ln_final’s bias'
    : c.hook.endsWith('attn.hook_result') ? `Head ${c.head} of layer ${c.hook.split('.')[1]} (what it read from earlier tokens, through W_O)`
    : c.hook.endsWith('attn.b_O') ? `The attention output bias of layer ${c.hook.split('.')[1]}`
    : `The MLP of layer ${c.hook.split('.')[1]}`;
  const against = versus === null ? '' : ` over ${versus}`;
  const direction = c.value >= 0 ? `raises ${target}${against}` : `lowers ${target}${versus === null ? '' : ` relative to ${versus}`}`;
  return `${what} ${direction} by ${formatNumber(Math.abs(c.value))} logits.`;
}


/** A diverging tint: red raises the target, blue lowers it, stronger for larger |value| against `max`. */
function tint(value: number, max: number): string {
  const a = max > 0 ? Math.min(1, Math.abs(value) / max) : 0;
  return value >= 0 ? `rgba(214, 39, 40, ${a.toFixed(3)})` : `rgba(31, 119, 180, ${a.toFixed(3)})`;
}

/** The unit a component or neuron of the attribution is, as an ablation; null for what cannot be ablated alone. */
export function ablationOf(hook: string, unit?: number): Ablation | null {
  const match = /^blocks\.(\d+)\.(attn\.hook_result|hook_mlp_out|mlp\.hook_post)$/.exec(hook);
  if (!match) return null;
  const layer = Number(match[1]);
  if (match[2] === 'attn.hook_result') return { hook: 'attn.hook_z', layer, unit: unit ?? 0 };
  if (match[2] === 'mlp.hook_post') return { hook: 'mlp.hook_post', layer, unit: unit ?? 0 };
  return { hook: 'hook_mlp_out', layer, unit: null };
}

export function createWhyView(ctx: PanelContext): PanelView {
  const heading = el('p', { class: 'gb-why-heading' });
  const status = el('p', { class: 'gb-muted', attrs: { 'aria-live': 'polite' } });
  const hint = el('p', { class: 'gb-muted gb-why-hint', text: 'Click a head, an MLP or a neuron to ablate it: every tab then shows the model without it, compared with the model as it is.' });
  // The question can be edited: any single token as the target, another (or none) to compare with. Typed in
  // the views' marks (· for a space); the model's guesses at the position are offered as they are typed.
  const candidates = el('datalist', { attrs: { id: 'gb-why-candidates' } });
  const field = (label: string, placeholder: string) => el('input', { class: 'gb-why-input', attrs: { type: 'text', list: 'gb-why-candidates', 'aria-label': label, placeholder, spellcheck: 'false' } });
  const targetInput = field('Target token', '·Paris (· is a space)');
  const versusInput = field('Versus token', 'none: logit of the target alone');
  const reset = el('button', { class: 'gb-link-button', text: 'Default question', attrs: { type: 'button', title: 'The token that follows, against the model’s strongest other guess' } });
  const inputError = el('span', { class: 'gb-why-input-error', attrs: { role: 'alert' } });
  const questionBar = el('div', { class: 'gb-toolbar gb-why-question' }, [
    el('span', { class: 'gb-toolbar-label', text: 'Target' }), targetInput,
    el('span', { class: 'gb-toolbar-label', text: 'versus' }), versusInput,
    reset, inputError, candidates,
  ]);
  const grid = el('div', { class: 'gb-why-grid', attrs: { role: 'table', 'aria-label': 'Attribution by layer and head' } });
  const list = el('ol', { class: 'gb-why-list' });
  const neurons = el('ol', { class: 'gb-why-list gb-why-neurons' });
  const element = el('section', { class: 'gb-view gb-why' }, [
    explanation('why'),
    heading,
    questionBar,
    status,
    hint,
    grid,
    el('h3', { text: 'Largest components' }),
    list,
    el('h3', { text: 'Largest neurons' }),
    neurons,
  ]);

  /** Pieces of tokens typed as targets that the inspection does not list (it lists only those it holds). */
  const typedPieces = new Map<number, TokenPiece>();
  const pieceIn = (shown: Shown, id: number): TokenPiece => shown.inspection.pieces[id] ?? typedPieces.get(id) ?? pieceOf(shown.inspection.pieces, id);
  const label = (shown: Shown, id: number): string => JSON.stringify(pieceLabel(pieceIn(shown, id)));

  /** A question the user typed, for the inspection and position it was typed at. */
  let edited: { readonly inspection: Shown['inspection']; readonly question: WhyQuestion } | null = null;

  function question(shown: Shown): WhyQuestion {
    const n = shown.inspection.tokens.length;
    const selected = ctx.state().selectedToken;
    const fallback = defaultQuestion(shown, selected !== null && selected < n ? selected : n - 1);
    return edited && edited.inspection === shown.inspection && edited.question.position === fallback.position ? edited.question : fallback;
  }

  /** The id a typed text names: a guess offered at the position, or whatever single token the host finds. */
  async function tokenOf(shown: Shown, typed: string): Promise<number> {
    const text = fromVisibleWhitespace(typed);
    // A guess holding part of a character is offered, and so typed back, by its label.
    const offered = finalTopK(shown.inspection, question(shown).position).find((e) => e.text === text || pieceLabel(e) === typed);
    if (offered) return offered.id;
    const token = await ctx.resolveToken(text);
    typedPieces.set(token.id, token);
    return token.id;
  }

  async function edit(): Promise<void> {
    const shown = ctx.shown();
    if (!shown) return;
    const base = question(shown);
    try {
      inputError.textContent = '';
      const targetId = targetInput.value === '' ? base.targetId : await tokenOf(shown, targetInput.value);
      const versusId = versusInput.value.trim() === '' ? null : await tokenOf(shown, versusInput.value);
      if (targetId === versusId) throw new Error('the target and the token it is compared with are the same');
      edited = { inspection: shown.inspection, question: { position: base.position, targetId, versusId } };
    } catch (error) {
      inputError.textContent = error instanceof Error ? error.message : String(error);
    }
    render(shown);
  }
  for (const input of [targetInput, versusInput]) input.addEventListener('change', () => void edit());
  reset.addEventListener('click', () => {
    edited = null;
    inputError.textContent = '';
    const shown = ctx.shown();
    if (shown) render(shown);
  });

  function render(shown: Shown): void {
    const q = question(shown);
    // The fields show the question asked, unless the user is typing in one.
    const write = (input: HTMLInputElement, id: number | null) => {
      if (document.activeElement !== input) input.value = id === null ? '' : pieceLabel(pieceIn(shown, id));
    };
    write(targetInput, q.targetId);
    write(versusInput, q.versusId);
    candidates.replaceChildren(...finalTopK(shown.inspection, q.position).map((e) => el('option', { attrs: { value: pieceLabel(e) } })));
    const target = label(shown, q.targetId);
    const versus = q.versusId === null ? null : label(shown, q.versusId);
    const after = label(shown, shown.inspection.tokens[q.position].id);
    heading.textContent = `Why ${target}${versus ? ` rather than ${versus}` : ''} after ${after} (position ${q.position})? Choose another token in the Tokens tab.`;
    const answer = ctx.attribution(q);
    if (answer.kind !== 'ready') {
      status.textContent = answer.kind === 'pending' ? 'Asking the model…' : answer.message;
      grid.replaceChildren();
      list.replaceChildren();
      neurons.replaceChildren();
      return;
    }
    const report = answer.report;
    const ablated = shown.ablated ? ` in the model with ${shown.ablated.setting.ablations.length} unit${shown.ablated.setting.ablations.length === 1 ? '' : 's'} ablated (outlined)` : '';
    status.textContent = `logit(${target})${versus ? ` − logit(${versus})` : ''} = ${formatNumber(report.logitDiff)}${ablated}: the sum of every component below. Red raises ${target}, blue lowers it.`;
    const setting = ctx.ablation();
    const isAblated = (a: Ablation | null) => a !== null && setting.ablations.some((b) => sameAblation(a, b));
    /** Makes `element` ablate `unit` when clicked (or Enter/Space), and marks it when it is ablated. */
    const ablatable = <T extends HTMLElement>(element: T, unit: Ablation | null): T => {
      if (!unit) return element;
      element.dataset.ablate = formatAblation(unit);
      element.tabIndex = 0;
      element.classList.add('gb-ablatable');
      element.classList.toggle('gb-ablated', isAblated(unit));
      element.title += isAblated(unit) ? ' — ablated; click to restore' : ' — click to ablate';
      return element;
    };
    const { nLayer, nHead } = shown.inspection.model;
    const rows = layerRows(report, nLayer, nHead);
    const max = Math.max(...report.components.map((c) => Math.abs(c.value)), 1e-9);
    const cell = (value: number, title: string, text = '') =>
      el('span', { class: 'gb-why-cell', text, attrs: { role: 'cell', title: `${title}: ${value >= 0 ? '+' : ''}${formatNumber(value)}` } }, []);
    const header = el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [
      el('span', { class: 'gb-why-label', text: 'layer', attrs: { role: 'columnheader' } }),
      ...Array.from({ length: nHead }, (_, h) => el('span', { class: 'gb-why-label', text: `H${h}`, attrs: { role: 'columnheader' } })),
      el('span', { class: 'gb-why-label', text: 'b_O', attrs: { role: 'columnheader' } }),
      el('span', { class: 'gb-why-label', text: 'MLP', attrs: { role: 'columnheader' } }),
    ]);
    grid.style.setProperty('--gb-why-columns', String(nHead + 3));
    grid.replaceChildren(
      header,
      ...rows.map((row, l) => {
        const cells = [
          ...row.heads.map((v, h) => ablatable(cell(v, `blocks.${l}.attn.hook_result head ${h}`), { hook: 'attn.hook_z', layer: l, unit: h })),
          cell(row.bias, `blocks.${l}.attn.b_O`),
          ablatable(cell(row.mlp, `blocks.${l}.hook_mlp_out`), { hook: 'hook_mlp_out', layer: l, unit: null }),
        ];
        cells.forEach((c, i) => (c.style.backgroundColor = tint([...row.heads, row.bias, row.mlp][i], max)));
        return el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [el('span', { class: 'gb-why-label', text: String(l), attrs: { role: 'rowheader' } }), ...cells]);
      }),
    );
    const ranked = [...report.components].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 10);
    list.replaceChildren(
      ...ranked.map((c) =>
        ablatable(el('li', { attrs: { title: describeComponent(c, target, versus) } }, [
          el('span', { class: c.value >= 0 ? 'gb-why-up' : 'gb-why-down', text: `${c.value >= 0 ? '+' : '−'}${formatNumber(Math.abs(c.value))}` }),
          ` ${c.hook}${c.head === undefined ? '' : ` head ${c.head}`}`,
        ]), ablationOf(c.hook, c.head)),
      ),
    );
    const topNeurons = report.neurons
      .flatMap((layer) => layer.top.slice(0, 3).map((t) => ({ layer: layer.layer, ...t })))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, 8);
    neurons.replaceChildren(
      ...topNeurons.map((t) =>
        ablatable(el('li', { attrs: { title: `Neuron ${t.neuron} of layer ${t.layer} fired at ${formatNumber(t.activation)}; its output row moves the logit difference by ${formatNumber(t.value)}.` } }, [
          el('span', { class: t.value >= 0 ? 'gb-why-up' : 'gb-why-down', text: `${t.value >= 0 ? '+' : '−'}${formatNumber(Math.abs(t.value))}` }),
          ` blocks.${t.layer}.mlp.hook_post:${t.neuron}`,
        ]), { hook: 'mlp.hook_post', layer: t.layer, unit: t.neuron }),
      ),
    );
  }

  // One listener for every ablatable cell and item, however often they are rebuilt.
  const toggle = (event: Event): void => {
    const target = (event.target as Element).closest<HTMLElement>('[data-ablate]');
    const unit = target ? parseAblation(target.dataset.ablate ?? '') : null;
    if (unit && typeof unit !== 'string') ctx.toggleAblation(unit);
  };
  element.addEventListener('click', toggle);
  element.addEventListener('keydown', (event) => {
    if ((event.key === 'Enter' || event.key === ' ') && (event.target as Element).closest('[data-ablate]')) {
      event.preventDefault();
      toggle(event);
    }
  });

  function ready(shown: Shown): AttributionReport {
    const answer = ctx.attribution(question(shown));
    if (answer.kind !== 'ready') throw new Error('the attribution has not arrived yet');
    return answer.report;
  }

  return {
    element,
    render,
    setCursor() {},
    figure(shown): Figure {
      const report = ready(shown);
      const { nLayer, nHead } = shown.inspection.model;
      const rows = layerRows(report, nLayer, nHead).map((row) => [...row.heads, row.bias, row.mlp]);
      const max = Math.max(...report.components.map((c) => Math.abs(c.value)), 1e-9);
      const columns = [...Array.from({ length: nHead }, (_, h) => `H${h}`), 'b_O', 'MLP'];
      return layerGridFigure(`logit difference ${formatNumber(report.logitDiff)} by layer and head`, columns, rows, (v) => tint(v, max));
    },
    table(shown) {
      const report = ready(shown);
      const lines = ['hook,head,value', ...report.components.map((c) => `${c.hook},${c.head ?? ''},${c.value}`)];
      return `${lines.join('\n')}\n`;
    },
    // As `glassbox attribute --json` prints it.
    json(shown) {
      const report = ready(shown);
      const token = (id: number) => pieceIn(shown, id);
      return { position: report.position, target: token(report.targetId), versus: report.versusId === null ? null : token(report.versusId), logitDiff: report.logitDiff, components: report.components, neurons: report.neurons };
    },
  };
}
