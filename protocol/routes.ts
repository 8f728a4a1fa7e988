// Information-flow routes (Ferrando & Voita, 2024) as they cross the rooms: the importances the engine computes
// (engine/experiments/routes.ts states the definitions) and the route graph drawn from them, which the CLI
// prints and the Routes view redraws as its threshold moves.

export interface RouteEdge {
  readonly layer: number;
  readonly kind: 'attention' | 'mlp';
  readonly from: number;
  readonly to: number;
  readonly weight: number;
}

/** What the route graph needs: the importances summed over heads (the Routes view's payload). */
export interface RouteImportances {
  /** [layer][i][j ≤ i]: Σ over heads of the importance of c_{j,h} in resid_mid[i]. */
  readonly attention: number[][][];
  /** [layer][i]: the importance of resid_pre[i] in resid_mid[i]. */
  readonly attentionResidual: number[][];
  /** [layer][i]: the importance of mlp_out[i] in resid_post[i]. */
  readonly mlp: number[][];
  /** [layer][i]: the importance of resid_mid[i] in resid_post[i]. */
  readonly mlpResidual: number[][];
}

export interface Routes extends RouteImportances {
  /** [layer][i][j ≤ i][head] */
  readonly attentionByHead: number[][][][];
}

/** A residual connection the route keeps: position's residual carried past layer `layer`'s attention or MLP block. */
export interface RouteResidual {
  readonly layer: number;
  readonly kind: 'attention' | 'mlp';
  readonly position: number;
  readonly weight: number;
}

/** The attention and MLP edges of weight ≥ τ reachable backwards from `position`'s final residual. */
export function routeEdges(routes: RouteImportances, position: number, threshold: number): RouteEdge[] {
  return routeGraph(routes, position, threshold).edges;
}

/** The route graph: its attention and MLP edges (routeEdges), and the residual connections kept with them. */
export function routeGraph(routes: RouteImportances, position: number, threshold: number): { edges: RouteEdge[]; residuals: RouteResidual[] } {
  const nLayer = routes.attention.length;
  const edges: RouteEdge[] = [];
  const residuals: RouteResidual[] = [];
  // Positions whose residual after layer l (before layer 0 at the end) the route reaches.
  let after = new Set([position]);
  for (let l = nLayer - 1; l >= 0; l--) {
    const mid = new Set<number>();
    for (const i of [...after].sort((a, b) => a - b)) {
      if (routes.mlp[l][i] >= threshold) {
        edges.push({ layer: l, kind: 'mlp', from: i, to: i, weight: routes.mlp[l][i] });
        mid.add(i);
      }
      if (routes.mlpResidual[l][i] >= threshold) {
        residuals.push({ layer: l, kind: 'mlp', position: i, weight: routes.mlpResidual[l][i] });
        mid.add(i);
      }
    }
    const before = new Set<number>();
    for (const i of [...mid].sort((a, b) => a - b)) {
      routes.attention[l][i].forEach((weight, j) => {
        if (weight >= threshold) {
          edges.push({ layer: l, kind: 'attention', from: j, to: i, weight });
          before.add(j);
        }
      });
      if (routes.attentionResidual[l][i] >= threshold) {
        residuals.push({ layer: l, kind: 'attention', position: i, weight: routes.attentionResidual[l][i] });
        before.add(i);
      }
    }
    after = before;
  }
  edges.sort((a, b) => a.layer - b.layer || (a.kind === b.kind ? 0 : a.kind === 'attention' ? -1 : 1) || a.to - b.to || a.from - b.from);
  return { edges, residuals };
}
