// The panel's view state: defaults, and fitting a restored state to the inspection now shown (a head or a
// token index from an earlier, larger inspection must not point past the new one).

import type { Inspection } from '../protocol/inspection';
import type { PanelViewState } from '../protocol/panel-messages';
import { attentionShape } from './attention-layout';

export const defaultViewState: PanelViewState = {
  tab: 'tokens',
  tokenColour: 'probability',
  showTokenIds: false,
  selectedToken: null,
  sampling: { temperature: 1, topK: 10, topP: 1 },
  lensColour: 'probability',
  lensTarget: null,
  attentionHead: { layer: 0, head: 0 },
  attentionView: 'matrix',
  followSelection: false,
};

export function fitStateTo(state: PanelViewState, inspection: Inspection): PanelViewState {
  const n = inspection.tokens.length;
  const { layers, heads } = attentionShape(inspection.attention);
  const k = inspection.lens.topIds.dims[2];
  const { layer, head } = state.attentionHead;
  return {
    ...state,
    // Index n is the "what comes next" chip after the last token.
    selectedToken: state.selectedToken !== null && state.selectedToken <= n ? state.selectedToken : null,
    sampling: { ...state.sampling, topK: Math.min(Math.max(1, state.sampling.topK), k) },
    attentionHead: layer < layers && (head === null || head < heads) ? state.attentionHead : { layer: 0, head: 0 },
  };
}
