// The four kinds of head the catalogue scores, in the words the Heads tab and its head card use for them
// (engine/experiments/head-scores.ts has the definitions).

import type { HeadScoreKind } from '../protocol/head-scores';

export const KIND_TITLES: Readonly<Record<HeadScoreKind, string>> = {
  previousToken: 'previous token',
  firstToken: 'first token',
  duplicateToken: 'duplicate token',
  induction: 'induction',
};

/** "How strongly the head …": what a high score says the head does. */
export const KIND_MEANINGS: Readonly<Record<HeadScoreKind, string>> = {
  previousToken: 'attends to the token just before',
  firstToken: 'parks its attention on the first token',
  duplicateToken: 'attends to the earlier copy of the same token',
  induction: 'attends to the token after the earlier copy of the current one (A B … A → B)',
};
