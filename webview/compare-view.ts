// The Compare tab: a pinned text (the baseline, patching's clean run) beside the shown one (the corrupt run),
// position by position, and an activation-patching sweep between them as a layer × position (or × head)
// heatmap of the normalised effect (patched − corrupt) / (clean − corrupt); and how the direct logit attribution
// of the Patch metric differs between the two texts, component by component.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { Inspection } from '../protocol/inspection';
import { finalTopK, pieceOf } from '../protocol/inspection-reading';
import { normalisedEffect, PATCH_HOOKS, type PatchHook, type PatchReport } from '../protocol/interventions';
import { formatNumber, formatProbability } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';
import { attributionChange, attributionChangeCsv, componentName, type AttributionChange } from './attribution-change';
import { comparePositions, defaultPatchQuestion, metricCandidates, type ComparedPosition } from './compare-reading';
import { el } from './element-builder';
import { explanation } from './explanations';
import { fileStem } from './figure-export';
import { layerGridFigure } from './figure-svg';
import type { Figure, PanelContext, PanelView, PatchQuestion, Shown } from './panel-context';

/** Positions listed side by side before the list says how many more there are. */
const maxRows = 200;

/** Components listed by how much their share changed; the CSV has them all. */
const maxChanges = 10;

const hookTitles: Readonly<Record<PatchHook, string>> = {
  hook_resid_pre: 'hook_resid_pre by position',
  hook_attn_out: 'hook_attn_out by position',
  hook_mlp_out: 'hook_mlp_out by position',
  'attn.hook_z': 'attn.hook_z by head',
};

/** Red where the patch restores the clean metric (1), blue where it pushes away from it (−1), clear at 0. */
function tint(effect: number): string {
  if (Number.isNaN(effect)) return 'transparent';
  const a = Math.min(1, Math.abs(effect));
  return effect >= 0 ? `rgba(214, 39, 40, ${a.toFixed(3)})` : `rgba(31, 119, 180, ${a.toFixed(3)})`;
}

const quoted = (piece: TokenPiece): string => JSON.stringify(pieceLabel(piece));

/** The sweep's columns: the shown text's tokens by position, or the heads. */
function columnsOf(report: PatchReport, shown: Inspection): string[] {
  return report.hook === 'attn.hook_z' ? report.results[0].map((_, h) => `H${h}`) : shown.tokens.map((t, q) => `${q} ${pieceLabel(t)}`);
}

export function createCompareView(ctx: PanelContext): PanelView {
  const pinButton = el('vscode-button', { text: 'Pin the shown text', attrs: { title: 'Keep the shown text as the baseline to compare later inspections with' } });
  pinButton.addEventListener('click', () => ctx.pin(true));
  const unpinButton = el('vscode-button', { text: 'Unpin', attrs: { secondary: true } });
  unpinButton.addEventListener('click', () => ctx.pin(false));
  const heading = el('p', { class: 'gb-why-heading' });
  const rows = el('div', { class: 'gb-compare-rows', attrs: { role: 'table', 'aria-label': 'The pinned and the shown text by position' } });
  const predictions = el('p', { class: 'gb-muted' });

  const hookSelect = el('vscode-single-select', { class: 'gb-select', attrs: { 'aria-label': 'Patch' } });
  for (const hook of PATCH_HOOKS) hookSelect.append(el('vscode-option', { text: hookTitles[hook], attrs: { value: hook } }));
  const targetSelect = el('vscode-single-select', { class: 'gb-select', attrs: { 'aria-label': 'Target token' } });
  const versusSelect = el('vscode-single-select', { class: 'gb-select', attrs: { 'aria-label': 'Versus token' } });
  const run = el('vscode-button', { text: 'Patch' });
  const patchStatus = el('p', { class: 'gb-muted', attrs: { 'aria-live': 'polite' } });
  const grid = el('div', { class: 'gb-why-grid gb-patch-grid', attrs: { role: 'table', 'aria-label': 'Normalised effect of patching, by layer' } });
  const patchTools = el('div', { class: 'gb-toolbar gb-patch-toolbar' }, [
    el('span', { class: 'gb-toolbar-label', text: 'Patch' }), hookSelect,
    el('span', { class: 'gb-toolbar-label', text: 'metric: logit of' }), targetSelect,
    el('span', { class: 'gb-toolbar-label', text: 'minus' }), versusSelect,
    run,
  ]);
  const patchSection = el('section', { class: 'gb-compare-patch' }, [el('h3', { text: 'Patch from the pinned text into the shown one' }), patchTools, patchStatus, grid]);
  const attributionStatus = el('p', { class: 'gb-muted', attrs: { 'aria-live': 'polite' } });
  const changes = el('ol', { class: 'gb-why-list gb-attribution-changes' });
  const exportChanges = el('button', { class: 'gb-link-button', text: 'Export CSV', attrs: { type: 'button', title: 'Every component’s share in both texts and the change, with TransformerLens hook names' } });
  const attributionSection = el('section', { class: 'gb-compare-attribution' }, [el('h3', { text: 'How the attribution differs' }), attributionStatus, changes, exportChanges]);
  const pinTools = el('div', { class: 'gb-toolbar' }, [pinButton, unpinButton]);
  const pinned = el('div', { class: 'gb-compare-pinned' }, [heading, pinTools, predictions, rows, patchSection, attributionSection]);
  const empty = el('div', { class: 'gb-compare-empty' }, [
    el('p', { text: 'Nothing is pinned. Pin the shown text, then change it in the editor (one word is enough) and inspect again: this tab compares the two and patches activations from the pinned text into the new one.' }),
  ]);
  const element = el('section', { class: 'gb-view gb-compare' }, [explanation('compare'), empty, pinned]);

  /** The question the selects show; reset when the pair changes so that its tokens are the pair's. */
  let question: PatchQuestion | null = null;
  let questionFor: { pinned: Inspection; shown: Inspection } | null = null;
  // Read from the selects only when the user changes one: their values lag behind options just replaced.
  for (const select of [hookSelect, targetSelect, versusSelect]) select.addEventListener('change', () => {
    if (!question) return;
    question = { hook: hookSelect.value as PatchHook, targetId: Number(targetSelect.value), versusId: versusSelect.value === 'none' ? null : Number(versusSelect.value) };
    const shown = ctx.shown();
    if (shown) render(shown);
  });
  run.addEventListener('click', () => {
    if (question) ctx.runPatch(question);
  });
  exportChanges.addEventListener('click', () => {
    const shown = ctx.shown();
    const change = shown ? attributionDifference(shown) : null;
    if (!shown || !change || typeof change === 'string') return;
    ctx.saveFile({ format: 'csv', filename: `glassbox-attribution-change-${fileStem(shown.source.uri)}.csv`, data: attributionChangeCsv(change), encoding: 'utf8' });
  });

  function render(shown: Shown): void {
    const pin = shown.pinned ?? null;
    empty.hidden = pin !== null;
    pinned.hidden = pin === null;
    // One button, moved to where it is read: alone under "Nothing is pinned", or beside Unpin.
    pinButton.textContent = pin ? 'Pin the shown text instead' : 'Pin the shown text';
    pinButton.toggleAttribute('secondary', pin !== null);
    if (!pin) {
      empty.append(pinButton);
      return;
    }
    pinTools.prepend(pinButton);
    const a = pin.inspection;
    const b = shown.inspection;
    const name = decodeURIComponent(pin.uri.split(/[\\/]/).pop() ?? pin.uri);
    heading.textContent = `Pinned: ${a.tokens.length} tokens of ${name} · shown: ${b.tokens.length} tokens`;
    const compared = comparePositions(a, b);
    const differing = compared.filter((c) => c.differs).length;
    const guess = (i: Inspection) => finalTopK(i, i.tokens.length - 1).slice(0, 3).map((e) => `${quoted(e)} ${formatProbability(e.prob)}`).join(', ');
    predictions.textContent = `${differing} position${differing === 1 ? ' differs' : 's differ'}. After the last token the pinned text predicts ${guess(a)}; the shown text ${guess(b)}.`;
    const cell = (side: ComparedPosition['pinned']) =>
      el('span', { class: 'gb-compare-cell', attrs: { role: 'cell' } }, side ? [el('code', { text: pieceLabel(side.token) }), el('span', { class: 'gb-muted', text: ` ${formatProbability(side.prob)}` })] : ['—']);
    rows.replaceChildren(
      el('div', { class: 'gb-compare-row gb-compare-header', attrs: { role: 'row' } }, ['position', 'pinned', 'shown'].map((t) => el('span', { text: t, attrs: { role: 'columnheader' } }))),
      ...compared.slice(0, maxRows).map((c) =>
        el('div', { class: `gb-compare-row${c.differs ? ' gb-compare-differs' : ''}`, attrs: { role: 'row' } }, [el('span', { text: String(c.position), attrs: { role: 'rowheader' } }), cell(c.pinned), cell(c.shown)]),
      ),
      ...(compared.length > maxRows ? [el('p', { class: 'gb-muted', text: `… and ${compared.length - maxRows} more positions.` })] : []),
    );
    renderPatch(a, b);
    renderAttribution(shown);
  }

  /**
   * The Patch metric's attribution at the last position in both texts: the change, or a sentence saying why
   * there is none yet (asked, failed, texts of different lengths).
   */
  function attributionDifference(shown: Shown): AttributionChange | string | null {
    const pin = shown.pinned;
    if (!pin || !question || pin.inspection.tokens.length !== shown.inspection.tokens.length) return null;
    const asked = { position: shown.inspection.tokens.length - 1, targetId: question.targetId, versusId: question.versusId };
    const before = ctx.attribution(asked, 'pinned');
    const after = ctx.attribution(asked, 'shown');
    if (before.kind === 'failed' || after.kind === 'failed') return `Attribution failed: ${before.kind === 'failed' ? before.message : after.kind === 'failed' ? after.message : ''}`;
    if (before.kind !== 'ready' || after.kind !== 'ready') return 'Attributing the metric in both texts…';
    try {
      return attributionChange(before.report, after.report);
    } catch (error) {
      return `Attribution failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  function renderAttribution(shown: Shown): void {
    const change = attributionDifference(shown);
    attributionSection.hidden = change === null;
    exportChanges.hidden = typeof change !== 'object' || change === null;
    if (change === null || typeof change === 'string') {
      attributionStatus.textContent = change ?? '';
      changes.replaceChildren();
      return;
    }
    const { inspection } = shown;
    const label = (id: number | null) => (id === null ? '' : quoted(inspection.pieces[id] ?? pieceOf(shown.pinned?.inspection.pieces ?? {}, id)));
    const metric = `logit(${label(change.targetId)})${change.versusId === null ? '' : ` − logit(${label(change.versusId)})`}`;
    const units = shown.ablated?.setting.ablations.length ?? 0;
    const model = units ? `, both in the model with ${units} unit${units === 1 ? '' : 's'} ablated` : '';
    const signed = (x: number) => `${x >= 0 ? '+' : '−'}${formatNumber(Math.abs(x))}`;
    attributionStatus.textContent = `Direct logit attribution of ${metric} (the Patch metric) at the last position${model}: pinned ${formatNumber(change.pinned)}, shown ${formatNumber(change.shown)}, ${signed(change.delta)}. The components whose share changed most, shown − pinned (red: more for the target in the shown text):`;
    changes.replaceChildren(
      ...change.components.slice(0, maxChanges).map((c) =>
        el('li', { attrs: { title: `${componentName(c)}: ${formatNumber(c.pinned)} in the pinned text, ${formatNumber(c.shown)} in the shown one` } }, [
          el('span', { class: c.delta >= 0 ? 'gb-why-up' : 'gb-why-down', text: signed(c.delta) }),
          ` ${componentName(c)} `,
          el('span', { class: 'gb-muted', text: `${formatNumber(c.pinned)} → ${formatNumber(c.shown)}` }),
        ]),
      ),
    );
  }

  function renderPatch(a: Inspection, b: Inspection): void {
    if (a.tokens.length !== b.tokens.length) {
      patchTools.hidden = true;
      patchStatus.textContent = `Patching needs texts of as many tokens: the pinned text has ${a.tokens.length}, the shown one ${b.tokens.length}. Change words for words of the same token count (the Tokens tab shows the split).`;
      grid.replaceChildren();
      return;
    }
    patchTools.hidden = false;
    if (!question || questionFor?.pinned !== a || questionFor.shown !== b) {
      question = defaultPatchQuestion(a, b, question?.hook);
      questionFor = { pinned: a, shown: b };
      const candidates = metricCandidates(a, b);
      const option = (value: string, text: string) => el('vscode-option', { text, attrs: { value } });
      targetSelect.replaceChildren(...candidates.map((e) => option(String(e.id), quoted(e))));
      versusSelect.replaceChildren(option('none', 'nothing (logit of the target alone)'), ...candidates.map((e) => option(String(e.id), quoted(e))));
    }
    hookSelect.value = question.hook;
    targetSelect.value = String(question.targetId);
    versusSelect.value = question.versusId === null ? 'none' : String(question.versusId);
    const status = ctx.patch(question);
    const label = (id: number | null) => (id === null ? '' : quoted(b.pieces[id] ?? pieceOf(a.pieces, id)));
    const metric = `logit(${label(question.targetId)})${question.versusId === null ? '' : ` − logit(${label(question.versusId)})`}`;
    if (status === null || status.kind !== 'ready') {
      patchStatus.textContent = status === null
        ? `Press Patch to run the shown text ${a.model.nLayer} × ${question.hook === 'attn.hook_z' ? a.model.nHead : b.tokens.length} more times, each with one activation from the pinned text, and read ${metric} at the last position.`
        : status.kind === 'pending' ? `Patching ${hookTitles[question.hook]}…` : `Patching failed: ${status.message}`;
      run.disabled = status?.kind === 'pending';
      grid.replaceChildren();
      return;
    }
    run.disabled = false;
    const report = status.report;
    patchStatus.textContent = `${metric} at the last position: pinned (clean) ${formatNumber(report.clean)}, shown (corrupt) ${formatNumber(report.corrupt)}. Each cell: the normalised effect of patching that one activation, 1 = the clean value restored. Raw values on hover.`;
    const columns = columnsOf(report, b);
    grid.style.setProperty('--gb-why-columns', String(columns.length + 1));
    grid.replaceChildren(
      el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [
        el('span', { class: 'gb-why-label', text: 'layer', attrs: { role: 'columnheader' } }),
        ...columns.map((c) => el('span', { class: 'gb-why-label gb-patch-column', text: c.replace(/^\d+ /, ''), attrs: { role: 'columnheader', title: c } })),
      ]),
      ...report.results.map((row, l) =>
        el('div', { class: 'gb-why-row', attrs: { role: 'row' } }, [
          el('span', { class: 'gb-why-label', text: String(l), attrs: { role: 'rowheader' } }),
          ...row.map((value, i) => {
            const effect = normalisedEffect(report, value);
            const where = report.hook === 'attn.hook_z' ? `head ${i}` : `position ${columns[i]}`;
            const c = el('span', { class: 'gb-why-cell', attrs: { role: 'cell', title: `blocks.${l}.${report.hook}, ${where}: ${metric} = ${formatNumber(value)} (normalised ${formatNumber(effect)})` } });
            c.style.backgroundColor = tint(effect);
            return c;
          }),
        ]),
      ),
    );
  }

  function ready(shown: Shown): PatchReport {
    const status = question ? ctx.patch(question) : null;
    if (!shown.pinned || status?.kind !== 'ready') throw new Error('no patching sweep has finished for the shown texts: press Patch first');
    return status.report;
  }

  return {
    element,
    render,
    setCursor() {},
    figure(shown): Figure {
      const report = ready(shown);
      const rowsOf = report.results.map((row) => row.map((v) => normalisedEffect(report, v)));
      return layerGridFigure(`patching ${report.hook}: normalised effect (patched − corrupt) / (clean − corrupt)`, columnsOf(report, shown.inspection), rowsOf, tint);
    },
    // As `glassbox patch --json` prints it.
    json(shown) {
      const { clean, corrupt, hook, results } = ready(shown);
      return { clean, corrupt, hook, results };
    },
    table(shown) {
      const report = ready(shown);
      const unit = report.hook === 'attn.hook_z' ? 'head' : 'position';
      const lines = [`hook,layer,${unit},metric,normalised`, ...report.results.flatMap((row, l) => row.map((v, i) => `blocks.${l}.${report.hook},${l},${i},${v},${normalisedEffect(report, v)}`))];
      return `${lines.join('\n')}\n`;
    },
  };
}
