// How the logit lens of the shown inspection differs from a baseline's: the unablated model when units are
// ablated, else a pinned text of as many tokens. Each cell compares the probability the lens gives one token
// (the target when one is set, else the shown text's next token) in both runs, in bits. Pure, so the grid,
// its export and the tests read the same numbers.
//
// The lens carries, per cell, only its top-k; the exact probability of any one token is known only for the
// target (computed across every cell) and, at the output point, for the token that comes next (`next.prob`).
// Elsewhere a token outside a run's top-k has no known probability, and the cell says so instead of guessing.

import type { Inspection, LensTarget } from '../protocol/inspection';
import type { Shown } from './panel-context';

export interface LensBaseline {
  readonly inspection: Inspection;
  /** What the baseline is, as the legend and hover name it. */
  readonly name: 'unablated' | 'pinned';
}

/** The run the shown lens is compared with, or null: an ablation first, else a pin of as many tokens. */
export function lensBaseline(shown: Shown): LensBaseline | null {
  if (shown.ablated) return { inspection: shown.ablated.baseline, name: 'unablated' };
  const pinned = shown.pinned?.inspection;
  return pinned && pinned.tokens.length === shown.inspection.tokens.length ? { inspection: pinned, name: 'pinned' } : null;
}

/** The change at one cell: the token followed, its lens probability in each run (null where unknown), in bits. */
export interface LensChange {
  readonly id: number;
  readonly shown: number | null;
  readonly baseline: number | null;
  /** log₂(shown ÷ baseline); NaN when either is unknown. */
  readonly bits: number;
}

/**
 * The probability the lens of `inspection` gives token `id` at (`point`, `position`), where the data holds it
 * exactly: `exact` (a target's values at every cell), the output point's `next.prob` for the next token, or
 * the cell's top-k. Null otherwise.
 */
export function lensProbability(inspection: Inspection, exact: LensTarget | null, point: number, position: number, id: number): number | null {
  const { lens, tokens, next } = inspection;
  const [points, n, k] = lens.topIds.dims;
  const at = point * n + position;
  if (exact && exact.id === id && exact.prob.dims[0] === points && exact.prob.dims[1] === n) return exact.prob.data[at];
  if (point === points - 1 && tokens[position + 1]?.id === id) return next.prob.data[position];
  const j = lens.topIds.data.subarray(at * k, at * k + k).indexOf(id);
  return j >= 0 ? lens.topProbs.data[at * k + j] : null;
}

/**
 * The cells' changes against `baseline`. `targetId` (with the shown run's exact target values, if known) picks
 * the token followed; without it each position follows the shown text's next token — in the baseline too, so
 * that a pinned text's cell says how its context made the shown text's continuation more or less likely.
 */
export function lensChanges(shown: Inspection, shownTarget: LensTarget | null, baseline: Inspection, targetId: number | null): (point: number, position: number) => LensChange | null {
  const baselineTarget = baseline.lens.target;
  return (point, position) => {
    const id = targetId ?? shown.tokens[position + 1]?.id;
    if (id === undefined) return null;
    const now = lensProbability(shown, shownTarget, point, position, id);
    const before = lensProbability(baseline, baselineTarget, point, position, id);
    return { id, shown: now, baseline: before, bits: now === null || before === null ? Number.NaN : Math.log2(now / before) };
  };
}
