// The readers of the experiments' inputs and results (an ablation setting, an attribution report, a head
// catalogue), wherever one crosses into a room: between the model process and the host, the host and the panel.

import { array, fail, finite, integer, InvalidMessage, nullable, oneOf, record, string, type Reader } from './guards';
import {
  ABLATION_HOOKS,
  ABLATION_MODES,
  formatAblation,
  PATCH_HOOKS,
  type PatchReport,
  parseAblation,
  type Ablation,
  type AblationSetting,
  type AttributionComponent,
  type AttributionReport,
  type LayerNeuronAttribution,
  type NeuronAttribution,
} from './interventions';
import { HEAD_SCORE_KINDS, type HeadCatalogue, type HeadScores } from './head-scores';
import type { RouteImportances } from './routes';
import type { HeadWrites, OvSource, ScoredToken } from './head-writes';
import { tokenPiece } from './inspection-guard';

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

const scoredToken: Reader<ScoredToken> = (v, p) => ({ ...tokenPiece(v, p), value: finite(record(v, p).value, `${p}.value`) });

const ovSource: Reader<OvSource> = (v, p) => {
  const f = record(v, p);
  return {
    position: integer(f.position, `${p}.position`, 0),
    attention: finite(f.attention, `${p}.attention`),
    token: tokenPiece(f.token, `${p}.token`),
    top: array(scoredToken)(f.top, `${p}.top`),
  };
};

/** What a head writes; each source at or before the position it was read from. */
export const headWrites: Reader<HeadWrites> = (v, p) => {
  const f = record(v, p);
  const position = integer(f.position, `${p}.position`, 0);
  const sources = array(ovSource)(f.sources, `${p}.sources`);
  sources.forEach((s, i) => {
    if (s.position > position) fail(`${p}.sources[${i}].position`, `a position at or before ${position}`, s.position);
  });
  return {
    layer: integer(f.layer, `${p}.layer`, 0),
    head: integer(f.head, `${p}.head`, 0),
    position,
    sources,
    promoted: array(scoredToken)(f.promoted, `${p}.promoted`),
    suppressed: array(scoredToken)(f.suppressed, `${p}.suppressed`),
  };
};

/** More units than any panel would ablate by clicking; a longer list is a mistake, not a request. */
const MAX_ABLATIONS = 4096;

const ablation: Reader<Ablation> = (v, p) => {
  const f = record(v, p);
  const unit = nullable((x, q) => integer(x, q, 0))(f.unit, `${p}.unit`);
  const spelt = { hook: oneOf(ABLATION_HOOKS)(f.hook, `${p}.hook`), layer: integer(f.layer, `${p}.layer`, 0), unit };
  // A head or neuron hook needs its unit, a whole output has none: the parser of the CLI's specs says which.
  const parsed = parseAblation(formatAblation(spelt));
  return typeof parsed === 'string' ? fail(p, 'an ablation with a unit exactly where its hook has units', v) : parsed;
};

export const ablationSetting: Reader<AblationSetting> = (v, p) => {
  const f = record(v, p);
  if (Array.isArray(f.ablations) && f.ablations.length > MAX_ABLATIONS) throw new InvalidMessage(`${p}.ablations: ${f.ablations.length} ablations are over the limit of ${MAX_ABLATIONS}`);
  return { ablations: array(ablation)(f.ablations, `${p}.ablations`), mode: oneOf(ABLATION_MODES)(f.mode, `${p}.mode`) };
};

export const patchReport: Reader<PatchReport> = (v, p) => {
  const f = record(v, p);
  return {
    hook: oneOf(PATCH_HOOKS)(f.hook, `${p}.hook`),
    targetId: integer(f.targetId, `${p}.targetId`, 0),
    versusId: nullable((x, q) => integer(x, q, 0))(f.versusId, `${p}.versusId`),
    clean: finite(f.clean, `${p}.clean`),
    corrupt: finite(f.corrupt, `${p}.corrupt`),
    results: array(array(finite))(f.results, `${p}.results`),
  };
};

/** Route importances of n tokens in every layer: attention[l][i] has i + 1 entries (j ≤ i), the rest n. */
export const routeImportances: Reader<RouteImportances> = (v, p) => {
  const f = record(v, p);
  const grid = array(array(finite));
  const attention = array(array(array(finite)))(f.attention, `${p}.attention`);
  const n = attention[0]?.length ?? 0;
  attention.forEach((layer, l) => {
    if (layer.length !== n) fail(`${p}.attention[${l}]`, `${n} positions`, layer.length);
    layer.forEach((row, i) => row.length === i + 1 || fail(`${p}.attention[${l}][${i}]`, `${i + 1} sources`, row.length));
  });
  const perPosition = (key: 'attentionResidual' | 'mlp' | 'mlpResidual') => {
    const rows = grid(f[key], `${p}.${key}`);
    if (rows.length !== attention.length) fail(`${p}.${key}`, `${attention.length} layers`, rows.length);
    rows.forEach((row, l) => row.length === n || fail(`${p}.${key}[${l}]`, `${n} positions`, row.length));
    return rows;
  };
  return { attention, attentionResidual: perPosition('attentionResidual'), mlp: perPosition('mlp'), mlpResidual: perPosition('mlpResidual') };
};
