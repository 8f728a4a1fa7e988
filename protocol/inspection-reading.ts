// Reading an Inspection's flat tensors by meaning: the one place that knows where the top-k of a lens
// point and position sits, shared by the CLI's JSON, the panel and the hover.

import type { Inspection, TokenReading } from './inspection';
import type { TokenPiece } from './token-piece';

export interface TopEntry extends TokenPiece {
  readonly prob: number;
}

/** How token `id` reads on its own. Every id in an inspection has its piece; the fallback only shows an id where one was lost. */
export function pieceOf(pieces: Inspection['pieces'], id: number): TokenPiece {
  return pieces[id] ?? { id, text: `⟨${id}⟩` };
}

/** The lens's top-k at residual point `point` and `position`, most likely first. */
export function lensTopK(inspection: Inspection, point: number, position: number): TopEntry[] {
  const { topIds, topProbs } = inspection.lens;
  const [, n, k] = topIds.dims;
  const at = (point * n + position) * k;
  return Array.from({ length: k }, (_, j) => ({ ...pieceOf(inspection.pieces, topIds.data[at + j]), prob: topProbs.data[at + j] }));
}

/** What the model itself predicted after `position`: the lens at the last residual point. */
export function finalTopK(inspection: Inspection, position: number): TopEntry[] {
  return lensTopK(inspection, inspection.lens.topIds.dims[0] - 1, position);
}

/** A token reading's top-k at `position` (the model's own distribution), most likely first. */
export function readingTopK(reading: TokenReading, position: number): TopEntry[] {
  const [, k] = reading.top.ids.dims;
  return Array.from({ length: k }, (_, j) => ({ ...pieceOf(reading.pieces, reading.top.ids.data[position * k + j]), prob: reading.top.probs.data[position * k + j] }));
}

/** Surprisal in bits of an event with probability `prob`. */
export function surprisalBits(prob: number): number {
  return -Math.log2(prob);
}
