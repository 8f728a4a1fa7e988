// What one attention head writes, as it travels to the Heads tab's head card (engine/experiments/head-writes.ts
// states the definitions): its OV circuit read through the unembedding for the tokens it attends to, and its
// direct effect on the logits at one position.

import type { TokenPiece } from './token-piece';

export interface ScoredToken extends TokenPiece {
  readonly value: number;
}

/** A token of the text the head attends to from the position, and what its OV circuit writes for it. */
export interface OvSource {
  readonly position: number;
  /** The head's attention weight from the position to this one (`attn.hook_pattern`). */
  readonly attention: number;
  readonly token: TokenPiece;
  /** The largest entries of W_E[t] · W_V^h · W_O^h · W_U, highest first. */
  readonly top: readonly ScoredToken[];
}

export interface HeadWrites {
  readonly layer: number;
  readonly head: number;
  readonly position: number;
  /** The positions the head attends to most from `position`, most attended first. */
  readonly sources: readonly OvSource[];
  /** The head's `attn.hook_result` at `position` read as logits (as the Why tab's attribution): highest first. */
  readonly promoted: readonly ScoredToken[];
  /** …and lowest first. */
  readonly suppressed: readonly ScoredToken[];
}

/** How many sources and how many tokens of each list the engine sends. */
export const HEAD_WRITES_SOURCES = 5;
export const HEAD_WRITES_TOP = 5;
