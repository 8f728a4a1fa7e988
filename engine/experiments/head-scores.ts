// What each attention head tends to do, scored on a probe sequence as TransformerLens's head detector does:
// a start token, R random tokens, then the same R tokens again. On the repeat a previous-token head looks one
// back, a duplicate-token head at the same token's first occurrence, an induction head at the token that
// followed it.
//
// Definitions (A = the head's pattern `blocks.{l}.attn.hook_pattern`, N = len(tokens), s = the first copy's
// start, R = its length):
//   previousToken  = mean over q = 1 … N−1 of A[q, q−1]
//   firstToken     = mean over q = 1 … N−1 of A[q, 0]
//   duplicateToken = mean over q = s+R … s+2R−1 of A[q, q−R]
//   induction      = mean over q = s+R … s+2R−1 of A[q, q−R+1]

import type { Attention } from '../../protocol/inspection';
import { patternRow } from '../../protocol/inspection';
import { GlassboxError } from '../../protocol/errors';
import { SeededRandom } from '../models/seeded-random';
import { HEAD_SCORE_KINDS, type HeadScoreKind } from '../../protocol/head-scores';


export interface HeadProbe {
  readonly tokens: readonly number[];
  /** s: where the first copy of the random tokens starts (after the start token). */
  readonly repeatStart: number;
  /** R */
  readonly repeatLength: number;
}

/** [layer][head] per kind, as it is filled. */
type MutableHeadScores = Record<HeadScoreKind, number[][]>;

/**
 * `startToken`, then `repeatLength` distinct tokens drawn (seeded) from `candidates`, then the same again.
 * Distinct, so that the only earlier occurrence of a token on the repeat is its first copy.
 */
export function headProbe(candidates: readonly number[], repeatLength: number, seed: number, startToken: number): HeadProbe {
  if (repeatLength > candidates.length) throw new GlassboxError('bad-request', `A probe of ${repeatLength} distinct tokens needs that many candidates; there are ${candidates.length}.`);
  const random = new SeededRandom(seed);
  const pool = [...candidates];
  const drawn: number[] = [];
  for (let i = 0; i < repeatLength; i++) {
    // A partial Fisher–Yates shuffle: each draw is uniform over what is left.
    const j = i + Math.floor(random.next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
    drawn.push(pool[i]);
  }
  return { tokens: [startToken, ...drawn, ...drawn], repeatStart: 1, repeatLength };
}

/** Every head's four scores, from an inspection of `probe.tokens` that carries every layer's patterns. */
export function headScoresOf(attention: Attention, probe: HeadProbe): MutableHeadScores {
  const n = probe.tokens.length;
  const { repeatStart: s, repeatLength: r } = probe;
  const scores = Object.fromEntries(HEAD_SCORE_KINDS.map((kind) => [kind, [] as number[][]])) as MutableHeadScores;
  attention.patterns.forEach((layer, l) => {
    if (layer === null) throw new GlassboxError('internal', `The probe's inspection lacks layer ${l}'s patterns.`);
    const heads = layer.dims[0];
    for (const kind of HEAD_SCORE_KINDS) scores[kind][l] = [];
    for (let h = 0; h < heads; h++) {
      const weight = (q: number, k: number): number => patternRow(layer, h, q)[k];
      const mean = (from: number, to: number, key: (q: number) => number): number => {
        let sum = 0;
        for (let q = from; q <= to; q++) sum += weight(q, key(q));
        return sum / (to - from + 1);
      };
      scores.previousToken[l][h] = mean(1, n - 1, (q) => q - 1);
      scores.firstToken[l][h] = mean(1, n - 1, () => 0);
      scores.duplicateToken[l][h] = mean(s + r, s + 2 * r - 1, (q) => q - r);
      scores.induction[l][h] = mean(s + r, s + 2 * r - 1, (q) => q - r + 1);
    }
  });
  return scores;
}
