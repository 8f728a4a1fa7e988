// The readers of the experiments' results (an attribution report, a head catalogue), wherever one crosses into
// a room: from the model process to the host, and from the host to the panel.

import { array, finite, integer, nullable, record, string, type Reader } from './guards';
import type { AttributionComponent, AttributionReport, LayerNeuronAttribution, NeuronAttribution } from './interventions';
import { HEAD_SCORE_KINDS, type HeadCatalogue, type HeadScores } from './head-scores';

const component: Reader<AttributionComponent> = (v, p) => {
  const f = record(v, p);
  return { hook: string(f.hook, `${p}.hook`), ...(f.head === undefined ? {} : { head: integer(f.head, `${p}.head`, 0) }), value: finite(f.value, `${p}.value`) };
};

const neuron: Reader<NeuronAttribution> = (v, p) => {
  const f = record(v, p);
  return { neuron: integer(f.neuron, `${p}.neuron`, 0), activation: finite(f.activation, `${p}.activation`), value: finite(f.value, `${p}.value`) };
};

const layerNeurons: Reader<LayerNeuronAttribution> = (v, p) => {
  const f = record(v, p);
  return { layer: integer(f.layer, `${p}.layer`, 0), bias: finite(f.bias, `${p}.bias`), top: array(neuron)(f.top, `${p}.top`) };
};

export const attributionReport: Reader<AttributionReport> = (v, p) => {
  const f = record(v, p);
  return {
    position: integer(f.position, `${p}.position`, 0),
    targetId: integer(f.targetId, `${p}.targetId`, 0),
    versusId: nullable((x, q) => integer(x, q, 0))(f.versusId, `${p}.versusId`),
    logitDiff: finite(f.logitDiff, `${p}.logitDiff`),
    components: array(component)(f.components, `${p}.components`),
    neurons: array(layerNeurons)(f.neurons, `${p}.neurons`),
  };
};

export const headCatalogue: Reader<HeadCatalogue> = (v, p) => {
  const f = record(v, p);
  const scores = record(f.scores, `${p}.scores`);
  const grid = (kind: string) => array(array(finite))(scores[kind], `${p}.scores.${kind}`);
  return {
    scores: Object.fromEntries(HEAD_SCORE_KINDS.map((kind) => [kind, grid(kind)])) as unknown as HeadScores,
    repeatLength: integer(f.repeatLength, `${p}.repeatLength`, 1),
    probes: integer(f.probes, `${p}.probes`, 1),
  };
};
