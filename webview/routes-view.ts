// The Routes tab: where the information for one prediction came from (Ferrando & Voita, 2024), as the LLM
// Transparency Tool shows it — the route graph of the prediction at the chosen token, from one forward run.
// The importances arrive once per inspection; the threshold slider redraws the graph from them here.

import { routeGraph, type RouteEdge, type RouteImportances, type RouteResidual } from '../protocol/routes';
import { formatNumber } from '../protocol/number-format';
import { pieceLabel } from '../protocol/token-piece';
import { el } from './element-builder';
import { explanation } from './explanations';
import type { Figure, PanelContext, PanelView, Shown } from './panel-context';
import { MAX_DRAWN_EDGES, routeFigure } from './route-figure';
import { readTheme } from './theme-colours';

/** The LLM Transparency Tool's default. */
export const DEFAULT_THRESHOLD = 0.04;

/** An edge or residual connection of the graph in words. */
export function describeRouteEdge(e: RouteEdge | RouteResidual, token: (p: number) => string): string {
  const weight = formatNumber(e.weight, 3);
  if ('position' in e) {
    const block = e.kind === 'attention' ? 'attention' : 'MLP';
    return `Layer ${e.layer}: ${token(e.position)} (position ${e.position}) keeps its residual stream past the ${block} block, importance ${weight}.`;
  }
  if (e.kind === 'mlp') return `Layer ${e.layer} MLP at ${token(e.to)} (position ${e.to}): importance ${weight} in the residual stream after it (blocks.${e.layer}.hook_mlp_out).`;
  return `Layer ${e.layer} attention reads ${token(e.from)} (position ${e.from}) into ${token(e.to)} (position ${e.to}): importance ${weight}, summed over heads (blocks.${e.layer}.attn).`;
}

export function createRoutesView(ctx: PanelContext): PanelView {
  let threshold = DEFAULT_THRESHOLD;
  const heading = el('p', { class: 'gb-why-heading' });
  const status = el('p', { class: 'gb-muted', attrs: { 'aria-live': 'polite' } });
  const input = el('input', { class: 'gb-range', attrs: { type: 'range', min: 0.005, max: 0.5, step: 0.005, value: threshold, 'aria-label': 'Threshold' } });
  const output = el('output', { class: 'gb-range-value', text: formatNumber(threshold, 3) });
  const slider = el('label', { class: 'gb-slider gb-route-threshold', attrs: { title: 'Edges below this importance are left out, with everything only they reach.' } }, [
    el('span', { class: 'gb-slider-label', text: 'Threshold' }),
    input,
    output,
  ]);
  const figure = el('div', { class: 'gb-route-figure', attrs: { role: 'img' } });
  const detail = el('p', { class: 'gb-route-detail', attrs: { 'aria-live': 'polite' } });
  const element = el('section', { class: 'gb-view gb-routes' }, [explanation('routes'), heading, el('div', { class: 'gb-toolbar' }, [slider]), status, figure, detail]);
  /** What the figure shows, for clicks on its edges. */
  let drawn: { edges: readonly RouteEdge[]; residuals: readonly RouteResidual[]; token: (p: number) => string } | null = null;

  input.addEventListener('input', () => {
    threshold = Number(input.value);
    output.textContent = formatNumber(threshold, 3);
    const shown = ctx.shown();
    if (shown) render(shown);
  });
  figure.addEventListener('click', (event) => {
    const target = (event.target as Element).closest('[data-edge], [data-residual]');
    if (!target || !drawn) return;
    const edge = target.hasAttribute('data-edge') ? drawn.edges[Number(target.getAttribute('data-edge'))] : drawn.residuals[Number(target.getAttribute('data-residual'))];
    if (!edge) return;
    const at = 'position' in edge ? edge.position : edge.to;
    const why = el('button', { class: 'gb-link-button', text: `Attribute the prediction at position ${at} →`, attrs: { type: 'button' } });
    why.addEventListener('click', () => ctx.update({ tab: 'why', selectedToken: at }));
    detail.replaceChildren(describeRouteEdge(edge, drawn.token), ' ', why);
  });

  function position(shown: Shown): number {
    const n = shown.inspection.tokens.length;
    const selected = ctx.state().selectedToken;
    return selected !== null && selected < n ? selected : n - 1;
  }

  function graphOf(shown: Shown, routes: RouteImportances) {
    return routeGraph(routes, position(shown), threshold);
  }

  /** The figure of `graph` (graphOf's, drawn once per render: the view and its status share it). */
  function figureOf(shown: Shown, graph: ReturnType<typeof routeGraph>): Figure {
    const p = position(shown);
    const token = JSON.stringify(pieceLabel(shown.inspection.tokens[p]));
    return routeFigure(shown.inspection, p, graph, readTheme(), `route of the prediction after ${token} (position ${p}), edges ≥ ${formatNumber(threshold, 3)}`);
  }

  function render(shown: Shown): void {
    const p = position(shown);
    const tokens = shown.inspection.tokens;
    const token = (q: number) => JSON.stringify(pieceLabel(tokens[q]));
    heading.textContent = `Where the prediction after ${token(p)} (position ${p}) read from. Choose another token in the Tokens tab.`;
    const answer = ctx.routes();
    if (answer.kind !== 'ready') {
      status.textContent = answer.kind === 'pending' ? 'Tracing the routes (one forward run)…' : `Could not trace the routes: ${answer.message}`;
      figure.replaceChildren();
      drawn = null;
      return;
    }
    const graph = graphOf(shown, answer.routes);
    const ablated = shown.ablated ? ' Routes are of the model as it is: the ablation is not applied here.' : '';
    const cut = graph.edges.length > MAX_DRAWN_EDGES ? ` Only the ${MAX_DRAWN_EDGES} strongest are drawn; the CSV has all.` : '';
    status.textContent =
      `${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'} of importance ≥ ${formatNumber(threshold, 3)}: blue, attention reading an earlier token; orange, an MLP; ` +
      `dashed, the residual stream carried on. Width is importance. Click an edge for what it is.${cut}${ablated}`;
    // Built from escaped text only (route-figure.ts): no markup from the model or the document reaches it raw.
    figure.innerHTML = figureOf(shown, graph).svg;
    // The prediction sits at the right end, where every route ends: a long text's graph opens scrolled there.
    figure.scrollLeft = figure.scrollWidth;
    figure.setAttribute('aria-label', `Route graph: ${graph.edges.length} edges`);
    drawn = { ...graph, token };
  }

  function routesOf(): RouteImportances {
    const answer = ctx.routes();
    if (answer.kind !== 'ready') throw new Error('the routes have not arrived yet');
    return answer.routes;
  }

  return {
    element,
    render,
    setCursor() {},
    figure: (shown) => figureOf(shown, graphOf(shown, routesOf())),
    // As `glassbox routes --json` prints it, less the per-head split (the panel does not ask for it), plus the
    // position and threshold of the graph shown.
    json(shown) {
      const routes = routesOf();
      const { attention, attentionResidual, mlp, mlpResidual } = routes;
      return { position: position(shown), threshold, attention, attentionResidual, mlp, mlpResidual, edges: graphOf(shown, routes).edges };
    },
    table(shown) {
      const graph = graphOf(shown, routesOf());
      const lines = [
        'layer,kind,from,to,weight',
        ...graph.edges.map((e) => `${e.layer},${e.kind},${e.from},${e.to},${e.weight}`),
        ...graph.residuals.map((r) => `${r.layer},${r.kind}-residual,${r.position},${r.position},${r.weight}`),
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}
