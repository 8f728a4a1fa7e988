// The Compare tab's readings of two inspections of the same model: the pinned text (patching's clean run) and
// the shown one (the corrupt run). Pure functions, so the view and the tests read the same numbers.

import type { Inspection, Token } from '../protocol/inspection';
import { finalTopK, type TopEntry } from '../protocol/inspection-reading';
import type { PatchHook } from '../protocol/interventions';
import type { PatchQuestion } from './panel-context';

/** One position of the two texts: the token each has there and the probability its model gave it. */
export interface ComparedPosition {
  readonly position: number;
  readonly pinned: { readonly token: Token; readonly prob: number } | null;
  readonly shown: { readonly token: Token; readonly prob: number } | null;
  readonly differs: boolean;
}

export function comparePositions(pinned: Inspection, shown: Inspection): ComparedPosition[] {
  const at = (i: Inspection, q: number) => (q < i.tokens.length ? { token: i.tokens[q], prob: q === 0 ? Number.NaN : i.next.prob.data[q - 1] } : null);
  return Array.from({ length: Math.max(pinned.tokens.length, shown.tokens.length) }, (_, q) => {
    const a = at(pinned, q);
    const b = at(shown, q);
    return { position: q, pinned: a, shown: b, differs: pinned.tokens[q]?.id !== shown.tokens[q]?.id };
  });
}

/** The tokens a metric can name: both texts' top guesses after their last token, the pinned text's first. */
export function metricCandidates(pinned: Inspection, shown: Inspection): TopEntry[] {
  const seen = new Set<number>();
  return [...finalTopK(pinned, pinned.tokens.length - 1), ...finalTopK(shown, shown.tokens.length - 1)].filter((e) => !seen.has(e.id) && seen.add(e.id));
}

/**
 * The default question: what the pinned (clean) text predicts after its last token, against what the shown
 * (corrupt) text predicts instead — or the pinned text's second guess when both predict the same.
 */
export function defaultPatchQuestion(pinned: Inspection, shown: Inspection, hook: PatchHook = 'hook_resid_pre'): PatchQuestion {
  const clean = finalTopK(pinned, pinned.tokens.length - 1);
  const corrupt = finalTopK(shown, shown.tokens.length - 1);
  const targetId = clean[0].id;
  const versus = corrupt[0].id !== targetId ? corrupt[0] : clean.find((e) => e.id !== targetId);
  return { hook, targetId, versusId: versus ? versus.id : null };
}
