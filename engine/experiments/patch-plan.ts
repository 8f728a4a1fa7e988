// Which runs a patching sweep makes (experiments.ts runs them). Attention is causal, so a patch at position p
// cannot change positions < p: the run for it need only compute positions p … n − 1, reading the corrupt
// run's keys and values for the positions before. Nor can a patch at layer l change the layers below: the
// run joins the batch at layer l (intervention-graph.ts). Runs that start at the same position go through
// the graph as one batch, in layer order; a head patch (every position) starts at 0.

export interface PatchUnit {
  readonly layer: number;
  /** The patched position, or head. */
  readonly index: number;
  /** The first position its run must compute. */
  readonly from: number;
}

export interface PatchBatch {
  /** The first position every run of the batch computes. */
  readonly from: number;
  readonly units: readonly PatchUnit[];
}

/**
 * The units of a sweep over `nLayer` layers × `per` positions or heads: position p's run starts at p when
 * `reusePrefix`, every run at 0 otherwise (and for heads).
 */
export function patchUnits(nLayer: number, per: number, byHead: boolean, reusePrefix: boolean): PatchUnit[] {
  return Array.from({ length: nLayer * per }, (_, unit) => {
    const index = unit % per;
    return { layer: Math.floor(unit / per), index, from: reusePrefix && !byHead ? index : 0 };
  });
}

/**
 * Batches of units that start at the same position, in layer order, each running at most `batchTokens`
 * positions (entries × positions computed, to bound its activations; at least one entry).
 */
export function patchBatches(units: readonly PatchUnit[], n: number, batchTokens: number): PatchBatch[] {
  const batches: { from: number; units: PatchUnit[] }[] = [];
  for (const unit of [...units].sort((a, b) => a.from - b.from || a.layer - b.layer)) {
    const open = batches.at(-1);
    if (open && open.from === unit.from && (open.units.length + 1) * (n - unit.from) <= batchTokens) open.units.push(unit);
    else batches.push({ from: unit.from, units: [unit] });
  }
  return batches;
}
