// What Surprisal Highlighting tints: each token of the text by how surprised the model was to see it there,
// in six levels. Kept free of vscode so the rule is unit-tested; surprisal-highlighting.ts draws it.

import type { Inspection } from '../protocol/inspection';

export const HIGHLIGHT_MODES = ['surprisal', 'probability', 'rank'] as const;
export type HighlightMode = (typeof HIGHLIGHT_MODES)[number];

/** Level 0 (no tint: expected) … 5 (strongest: the model hardly considered it), with each level's meaning. */
export const LEVELS: Readonly<Record<HighlightMode, readonly string[]>> = {
  surprisal: ['< 2 bits', '2–4 bits', '4–6 bits', '6–8 bits', '8–12 bits', '≥ 12 bits'],
  probability: ['≥ 50%', '20–50%', '5–20%', '1–5%', '0.1–1%', '< 0.1%'],
  rank: ['#1', '#2–5', '#6–20', '#21–100', '#101–1,000', 'past #1,000'],
};

/** The level of a token the model gave probability `prob` and 0-based rank `rank` before seeing it. */
export function levelOf(mode: HighlightMode, prob: number, rank: number): number {
  const steps = (value: number, bounds: readonly number[]) => bounds.filter((b) => value >= b).length;
  switch (mode) {
    case 'surprisal':
      return steps(-Math.log2(prob), [2, 4, 6, 8, 12]);
    case 'probability':
      return 5 - steps(prob, [0.001, 0.01, 0.05, 0.2, 0.5]);
    case 'rank':
      return steps(rank, [1, 5, 20, 100, 1000]);
  }
}

export interface TokenLevel {
  /** UTF-16 range in the inspected text. */
  readonly start: number;
  readonly end: number;
  readonly level: number;
  readonly prob: number;
  readonly rank: number;
}

/**
 * Each token after the first of an inspection with its level: the first has no prediction before it (the
 * model saw nothing of what came before the inspected text), so it gets none.
 */
export function tokenLevels(inspection: Pick<Inspection, 'tokens' | 'next'>, mode: HighlightMode): TokenLevel[] {
  return inspection.tokens.slice(1).map((token, i) => {
    const prob = inspection.next.prob.data[i];
    const rank = inspection.next.rank.data[i];
    return { start: token.start, end: token.end, level: levelOf(mode, prob, rank), prob, rank };
  });
}

/**
 * The lines to read for visible lines `first` … `last`: `margin` more above, as context, and from the
 * document's first line when the margin reaches it, so that the start of the text is read as the start of
 * the text. None below: a token is read from what comes before it, so lines below the view add nothing to
 * the visible lines' numbers — and a text longer than the context keeps its last tokens, which lines below
 * the view would take from the visible ones (the line being typed in among them).
 */
export function linesToRead(first: number, last: number, lineCount: number, margin: number): { from: number; to: number } {
  const from = first - margin <= 0 ? 0 : first - margin;
  return { from, to: Math.min(lineCount - 1, last) };
}
