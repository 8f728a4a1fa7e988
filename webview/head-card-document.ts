// The head card as a document: what "Save card as JSON" writes, and the definitions its hover text states.
// Pure, so the test reads the same document the panel saves.

import { HEAD_SCORE_KINDS, type HeadCatalogue, type HeadScoreKind } from '../protocol/head-scores';
import type { HeadWrites } from '../protocol/head-writes';

export const OV_DEFINITION =
  'OV circuit: W_E[t] · W_V · W_O · W_U for a token t the head attends to — its embedding through the head’s value ' +
  'and output weights into the unembedding (W_U = W_Eᵀ, GPT-2 ties them). The weights alone: no layer norms, ' +
  'no biases, nothing from the rest of the text. What the head would write about t if it attended only to t.';

export const DIRECT_DEFINITION =
  'Direct effect: the head’s output here (blocks.{l}.attn.hook_result) read through ln_final’s scale at this ' +
  'position and its gain into every logit, exactly as the Why tab attributes it: ((c − mean c) / s) · (w_ln ⊙ W_U[:, t]). ' +
  'Only what the head adds to the logits directly; what it changes in later layers is not counted.';

export interface HeadCardDocument {
  readonly model: string;
  readonly layer: number;
  readonly head: number;
  readonly hook: string;
  /** The catalogue's scores for this head, and the probes they are averaged over. */
  readonly scores: Readonly<Record<HeadScoreKind, number>>;
  readonly probes: { readonly count: number; readonly repeatLength: number };
  /** What it writes at a position of the inspected text; null until the model has answered. */
  readonly writes: (HeadWrites & { readonly definitions: { readonly ov: string; readonly directEffect: string } }) | null;
}

export function headCardDocument(model: string, catalogue: HeadCatalogue, ref: { readonly layer: number; readonly head: number }, writes: HeadWrites | null): HeadCardDocument {
  const { layer, head } = ref;
  return {
    model,
    layer,
    head,
    hook: `blocks.${layer}.attn`,
    scores: Object.fromEntries(HEAD_SCORE_KINDS.map((k) => [k, catalogue.scores[k][layer][head]])) as Record<HeadScoreKind, number>,
    probes: { count: catalogue.probes, repeatLength: catalogue.repeatLength },
    writes: writes && { ...writes, definitions: { ov: OV_DEFINITION, directEffect: DIRECT_DEFINITION } },
  };
}
