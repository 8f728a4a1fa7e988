// The logit lens at every earlier residual point (hook_resid_pre of each block), as a graph of its own: it
// takes the residual stream the model's graph returned and that graph's final lens point (for the KL), so an
// inspection is one forward (which already gives the tokens' reading, the final point) then this.
//
// Its weights (ln_final, the unembedding) point into the model's safetensors like the model graph's.

import { earlierLens } from './lens-graph';
import { DataType, encodeModel, GraphBuilder } from './onnx-builder';
import { externalWeights, OPSET } from './hooked-graph';
import type { Gpt2Config } from '../models/gpt2-config';
import type { Gpt2Weights } from '../models/gpt2-weights';

/** The file beside model.onnx. */
export const EARLIER_LENS_GRAPH_FILE = 'lens.onnx';

export const EARLIER_LENS_INPUTS = {
  residPre: 'resid_pre', // [layer, rows, d]: blocks.{l}.hook_resid_pre, l = 0 … L-1
  finalProjected: 'final_lens.projected', // [rows, d]
  finalEntropy: 'final_lens.entropy', // [rows]
  topK: 'top_k', // int64 [1]
  target: 'target', // int64 [1], -1 = none
} as const;

export const EARLIER_LENS_OUTPUTS = {
  topIds: 'lens.top_ids', // int64 [layer, rows, k]
  topProbs: 'lens.top_probs', // [layer, rows, k]
  entropy: 'lens.entropy', // [layer, rows]
  kl: 'lens.kl', // [layer, rows]
  targetProb: 'lens.target_prob', // [layer, rows]
  targetRank: 'lens.target_rank', // int64 [layer, rows]
} as const;

export function buildEarlierLensGraph(config: Gpt2Config, weights: Gpt2Weights, weightsFile: string): Uint8Array {
  const { nLayer, nEmbd: d } = config;
  const g = new GraphBuilder('glassbox_earlier_lens');
  const weight = externalWeights(g, weights, weightsFile);
  const i = EARLIER_LENS_INPUTS;
  const values = earlierLens(g, {
    config,
    residPre: g.input(i.residPre, DataType.FLOAT, [nLayer, 'rows', d]),
    finalProjected: g.input(i.finalProjected, DataType.FLOAT, ['rows', d]),
    finalEntropy: g.input(i.finalEntropy, DataType.FLOAT, ['rows']),
    topK: g.input(i.topK, DataType.INT64, [1]),
    target: g.input(i.target, DataType.INT64, [1]),
    wte: weight('wte.weight'),
    lnFinalWeights: [weight('ln_f.weight'), weight('ln_f.bias')],
  });
  const o = EARLIER_LENS_OUTPUTS;
  const named: [string, string, DataType][] = [
    [values.topIds, o.topIds, DataType.INT64],
    [values.topProbs, o.topProbs, DataType.FLOAT],
    [values.entropy, o.entropy, DataType.FLOAT],
    [values.kl, o.kl, DataType.FLOAT],
    [values.targetProb, o.targetProb, DataType.FLOAT],
    [values.targetRank, o.targetRank, DataType.INT64],
  ];
  for (const [value, name, type] of named) g.output(g.identity(value, name), type, null);
  return encodeModel(g.graph(), OPSET, 'glassbox');
}
