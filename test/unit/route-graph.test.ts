// The route graph the Routes view draws, worked out by hand on two layers and three positions, and the
// shape checks on importances crossing into the host and the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostMessage, RoutesResult } from '../../protocol/panel-messages';
import { routeEdges, routeGraph, type RouteImportances } from '../../protocol/routes';

// Layer 1 at position 2 reads position 1 (0.5) and keeps its residual (0.3); its MLP weighs 0.6, its residual
// past the MLP 0.4. Layer 0 at position 1 reads position 0 (0.7); at position 2 it keeps only its residual.
const routes: RouteImportances = {
  attention: [
    [[0], [0.7, 0.01], [0.01, 0.01, 0.02]],
    [[0], [0.02, 0.02], [0.03, 0.5, 0.17]],
  ],
  attentionResidual: [
    [1, 0.29, 0.96],
    [1, 0.96, 0.3],
  ],
  mlp: [
    [0.5, 0.01, 0.2],
    [0.1, 0.1, 0.6],
  ],
  mlpResidual: [
    [0.5, 0.99, 0.8],
    [0.9, 0.9, 0.4],
  ],
};

test('from the prediction backwards: the edges and residual connections of weight ≥ τ it reaches', () => {
  const { edges, residuals } = routeGraph(routes, 2, 0.1);
  assert.deepEqual(edges, [
    { layer: 0, kind: 'attention', from: 0, to: 1, weight: 0.7 },
    { layer: 0, kind: 'mlp', from: 2, to: 2, weight: 0.2 },
    { layer: 1, kind: 'attention', from: 1, to: 2, weight: 0.5 },
    { layer: 1, kind: 'attention', from: 2, to: 2, weight: 0.17 },
    { layer: 1, kind: 'mlp', from: 2, to: 2, weight: 0.6 },
  ]);
  // Position 1 after layer 0 is reached; its MLP (0.01) is not kept, the residual past it (0.99) is.
  assert.deepEqual(residuals, [
    { layer: 1, kind: 'mlp', position: 2, weight: 0.4 },
    { layer: 1, kind: 'attention', position: 2, weight: 0.3 },
    { layer: 0, kind: 'mlp', position: 1, weight: 0.99 },
    { layer: 0, kind: 'mlp', position: 2, weight: 0.8 },
    { layer: 0, kind: 'attention', position: 1, weight: 0.29 },
    { layer: 0, kind: 'attention', position: 2, weight: 0.96 },
  ]);
  assert.deepEqual(routeEdges(routes, 2, 0.1), edges, 'the CLI’s edges are the graph’s');
  assert.deepEqual(routeGraph(routes, 2, 0.95), { edges: [], residuals: [] }, 'nothing reaches past a high threshold');
});

test('importances must have a row per position and j ≤ i entries per row', () => {
  const ok = parseHostMessage({ type: RoutesResult, payload: { requestId: 1, outcome: { routes } } });
  assert.ok(!('error' in ok));
  const ragged = { ...routes, attention: [routes.attention[0], [[0], [0.1], [0.1, 0.2, 0.3]]] };
  assert.match(String((parseHostMessage({ type: RoutesResult, payload: { requestId: 1, outcome: { routes: ragged } } }) as { error?: string }).error), /attention\[1\]\[1\]/);
  const short = { ...routes, mlp: [routes.mlp[0]] };
  assert.match(String((parseHostMessage({ type: RoutesResult, payload: { requestId: 1, outcome: { routes: short } } }) as { error?: string }).error), /routes\.mlp/);
});
