// How the direct logit attribution of one metric differs between the pinned text and the shown one: each
// component's share in both, and shown − pinned. Components sum to the logit difference in each text
// (engine/experiments/attribution.ts), so the changes sum to the change of the metric. Pure, so the Compare
// tab, its CSV and the tests read the same numbers.

import type { AttributionComponent, AttributionReport } from '../protocol/interventions';
import { csvRow } from './export-tables';

export interface ComponentChange {
  /** TransformerLens's hook, as the engine reports it (`blocks.3.attn.hook_result` with `head`, `blocks.3.hook_mlp_out`, …). */
  readonly hook: string;
  readonly head?: number;
  readonly pinned: number;
  readonly shown: number;
  /** shown − pinned */
  readonly delta: number;
}

export interface AttributionChange {
  /** The question both reports answer: logit(targetId) − logit(versusId) at `position`. */
  readonly position: number;
  readonly targetId: number;
  readonly versusId: number | null;
  /** The metric in each text and its change. */
  readonly pinned: number;
  readonly shown: number;
  readonly delta: number;
  /** Every component, the largest |delta| first. */
  readonly components: readonly ComponentChange[];
}

const keyOf = (c: AttributionComponent): string => `${c.hook}:${c.head ?? ''}`;

/**
 * The two reports must answer the same question (position, target, versus): a difference of two metrics
 * would mean nothing. Neurons are left out: each report lists only its own largest, not the same ones.
 */
export function attributionChange(pinned: AttributionReport, shown: AttributionReport): AttributionChange {
  if (pinned.position !== shown.position || pinned.targetId !== shown.targetId || pinned.versusId !== shown.versusId) {
    throw new Error('the two attributions are of different metrics');
  }
  const before = new Map(pinned.components.map((c) => [keyOf(c), c.value]));
  const components = shown.components
    .map((c) => {
      const was = before.get(keyOf(c));
      if (was === undefined) throw new Error(`the pinned text's attribution has no ${componentName(c)}`);
      return { hook: c.hook, ...(c.head === undefined ? {} : { head: c.head }), pinned: was, shown: c.value, delta: c.value - was };
    })
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
  const { position, targetId, versusId } = shown;
  return { position, targetId, versusId, pinned: pinned.logitDiff, shown: shown.logitDiff, delta: shown.logitDiff - pinned.logitDiff, components };
}

/** `blocks.3.attn.hook_result head 5`: how a component is named in the lists, as in the Why tab. */
export function componentName(c: { readonly hook: string; readonly head?: number }): string {
  return c.head === undefined ? c.hook : `${c.hook} head ${c.head}`;
}

/**
 * One row per component, largest change first, then the metric itself as `logit_diff`; `head` empty for a
 * whole hook, `versus_id` empty for logit(target) alone.
 */
export function attributionChangeCsv(change: AttributionChange): string {
  const { position, targetId, versusId } = change;
  const row = (hook: string, head: number | null, pinned: number, shown: number, delta: number) => csvRow([position, targetId, versusId, hook, head, pinned, shown, delta]);
  return `${[
    csvRow(['position', 'target_id', 'versus_id', 'hook', 'head', 'pinned', 'shown', 'change']),
    ...change.components.map((c) => row(c.hook, c.head ?? null, c.pinned, c.shown, c.delta)),
    row('logit_diff', null, change.pinned, change.shown, change.delta),
  ].join('\n')}\n`;
}
