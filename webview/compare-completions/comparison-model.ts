// What the Compare Completions view shows, as plain data: each continuation's tokens with their probabilities,
// where the two first part, and the sentences that say how they were made. The page only lays it out.

import type { CompletionComparison, ComparedSide, ComparisonSampling } from '../../protocol/comparison-messages';
import { describeSteering } from '../../protocol/interventions';
import type { Continuation, GeneratedToken } from '../../protocol/model-messages';
import { formatProbability } from '../../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../../protocol/token-piece';
import { endsLine } from '../../protocol/visible-whitespace';

export interface TokenChip {
  readonly piece: TokenPiece;
  /** The token as the views show it (pieceLabel): whitespace as visible marks, part of a character as bytes. */
  readonly label: string;
  /** The probability the model (unsteered or steered) gave the token where it chose it. */
  readonly prob: number;
  /** The tooltip: the token, its probability and whose it is. */
  readonly title: string;
  /** At or after the first divergence: the two continuations no longer agree here. */
  readonly diverged: boolean;
  /** The first token that differs from the other continuation's token at the same position. */
  readonly firstDiverged: boolean;
  /** The token ends a line: the view breaks after it, as in the text. */
  readonly endsLine: boolean;
}

export interface SideView {
  readonly side: ComparedSide;
  readonly heading: string;
  readonly chips: readonly TokenChip[];
  /** The mean of the tokens' probabilities: how sure the model was of its own continuation. */
  readonly meanProb: number;
  /** Why the continuation ended. */
  readonly ending: string;
}

export interface ComparisonView {
  /** Token index of the first difference; null when the two continuations are the same. */
  readonly divergence: number | null;
  readonly divergenceText: string;
  readonly steeringText: string;
  readonly samplingText: string;
  readonly sides: readonly [SideView, SideView];
}

/** The first position where the two chose different tokens (or where one ended and the other went on); null when they are the same. */
export function firstDivergence(a: readonly Pick<GeneratedToken, 'id'>[], b: readonly Pick<GeneratedToken, 'id'>[]): number | null {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) if (a[i].id !== b[i].id) return i;
  return a.length === b.length ? null : shared;
}

export function comparisonView(c: CompletionComparison): ComparisonView {
  const divergence = firstDivergence(c.unsteered.tokens, c.steered.tokens);
  return {
    divergence,
    divergenceText: divergenceText(divergence, c.unsteered.tokens.length),
    steeringText: `Steered ${describeSteering(c.steering)}: activation addition at blocks.${c.steering.layer}.hook_resid_pre while the context runs.`,
    samplingText: samplingText(c.sampling),
    sides: [sideView('unsteered', c.unsteered, divergence), sideView('steered', c.steered, divergence)],
  };
}

function sideView(side: ComparedSide, continuation: Continuation, divergence: number | null): SideView {
  const whose = side === 'steered' ? 'the steered model' : 'the model as it is';
  const chips = continuation.tokens.map((t, i): TokenChip => {
    const diverged = divergence !== null && i >= divergence;
    const label = pieceLabel(t);
    return {
      piece: t,
      label,
      prob: t.prob,
      title: `“${label}” (id ${t.id}): ${formatProbability(t.prob)}, the probability ${whose} gave it here${i === divergence ? '\nThe first token that differs from the other continuation.' : ''}`,
      diverged,
      firstDiverged: i === divergence,
      endsLine: endsLine(t.text),
    };
  });
  const meanProb = chips.length === 0 ? Number.NaN : chips.reduce((sum, chip) => sum + chip.prob, 0) / chips.length;
  return { side, heading: side === 'steered' ? 'Steered' : 'Unsteered', chips, meanProb, ending: ending(continuation) };
}

function divergenceText(divergence: number | null, length: number): string {
  if (divergence === null) return `The steering changed nothing here: both continuations are the same ${length} token${length === 1 ? '' : 's'}.`;
  if (divergence === 0) return 'They differ from the first token on.';
  return `The same for the first ${divergence} token${divergence === 1 ? '' : 's'}; they diverge at token ${divergence + 1}.`;
}

function samplingText(s: ComparisonSampling): string {
  if (s.temperature === 0) return 'Greedy: the likeliest token at every step, so the same context always gives the same pair (the inline completions’ temperature is 0).';
  return `Sampled as the inline completions are (temperature ${s.temperature}, top-k ${s.topK}, top-p ${s.topP}), both runs with seed ${s.seed ?? 0}: the same draw, so they differ by the steering.`;
}

function ending(c: Continuation): string {
  const n = c.tokens.length;
  const tokens = `${n} token${n === 1 ? '' : 's'}`;
  switch (c.stop) {
    case 'max-tokens':
      return `${tokens}, as many as a completion may have`;
    case 'end-of-text':
      return `${tokens}, ending with end-of-text`;
    case 'newline':
      return `${tokens}, up to the end of the line`;
    case 'context-full':
      return `${tokens}: the model’s context is full`;
    case 'cancelled':
      return `${tokens}, then cancelled`;
  }
}
