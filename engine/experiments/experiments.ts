// The causal experiments on one loaded model: attribution, ablated inspections and activation patching, all
// through the intervention graph (intervention-graph.ts), whose session is loaded on first use.
//
// Activation patching, from a clean text into a corrupt text of the same token count: for each layer l and
// position p (hooks `hook_resid_pre`, `hook_attn_out`, `hook_mlp_out`) or each head h (`attn.hook_z`, every
// position), the corrupt text is run with that one activation replaced by the clean run's, and the metric
// logit(A) − logit(B) (or logit(A)) is read at the last position. The runs of a sweep go through the graph
// as one batch at a time, each batch entry with its own `keep` mask and the clean activations shared; a run
// for a patch at position p and layer l computes only what the patch can change, positions p … n − 1 of
// layers l … L − 1, on what the corrupt run left (patch-plan.ts).

import { Tensor } from 'onnxruntime-node';
import { GlassboxError } from '../../protocol/errors';
import { isAblating, STEERING_PAD_ID, type Ablation, type AblationMode, type AblationSetting, type PatchHook } from '../../protocol/interventions';
import { attribute, finalScale, readout, type Attribution } from './attribution';
import { ovVector, topSources, topTokens, unembed } from './head-writes';
import { patternRow } from '../../protocol/inspection';
import type { Gpt2Config } from '../models/gpt2-config';
import type { OrtSession } from '../run/gpt2-session';
import type { Gpt2Weights } from '../models/gpt2-weights';
import { NEW_KV_OUTPUTS } from '../graph/hooked-graph';
import { INTERVENTION_INPUTS, INTERVENTION_OUTPUTS } from '../graph/intervention-graph';
import { patchBatches, patchUnits, type PatchUnit } from './patch-plan';
import { routeImportances, type LayerActivations } from './routes';
import type { RouteImportances, Routes } from '../../protocol/routes';
import { RouteParts } from '../run/route-parts';
import { ablationFeeds, identityFeeds, InterventionModel, steeringFeeds, type Feeds, type Join, type KvPrefix } from './interventions';
import { readFloat32Entry } from '../models/safetensors';
import type { AttentionPatterns } from '../run/attention-patterns';

/** Token positions a patching batch may run at once (batch × tokens), to bound its activations. */
const PATCH_BATCH_TOKENS = 1024;

export interface Metric {
  readonly targetId: number;
  readonly versusId: number | null;
}

export interface AttributionResult {
  readonly attribution: Attribution;
  /** logit(A) − logit(B) at P (or logit(A)), from the model's own logits. */
  readonly logitDiff: number;
}

/** What head (layer, head) writes at a position (head-writes.ts), as token ids and values. */
export interface HeadWritesResult {
  readonly sources: readonly { readonly position: number; readonly attention: number; readonly id: number; readonly top: readonly TokenValue[] }[];
  readonly promoted: readonly TokenValue[];
  readonly suppressed: readonly TokenValue[];
}

export interface TokenValue {
  readonly id: number;
  readonly value: number;
}

export interface PatchOptions {
  /** Token positions a batch may run at once (entries × positions computed), to bound its activations. */
  readonly batchTokens?: number;
  /**
   * Whether a patch at position p and layer l runs only positions p … n − 1 from layer l on, on the corrupt
   * run's keys and values before p and its residual entering l (the default); false runs every patched
   * forward whole: with `batchTokens` ≤ n, the benchmark's naive baseline.
   */
  readonly reusePrefix?: boolean;
}

export interface PatchResult {
  readonly clean: number;
  readonly corrupt: number;
  /** [layer][position], or [layer][head] for attn.hook_z: the metric with that one activation patched. */
  readonly results: number[][];
}

export class Experiments {
  private readonly cache = new Map<string, Float32Array>();
  /** The route-parts graph's session, loaded on the first routes. */
  private routeParts: Promise<RouteParts> | null = null;

  private constructor(
    private readonly model: InterventionModel,
    private readonly config: Gpt2Config,
    private readonly weightsPath: string,
    private readonly weights: Gpt2Weights,
    /** The engine's pattern graph, which rebuilds attention patterns from queries and keys. */
    private readonly patterns: AttentionPatterns,
  ) {}

  static async load(runDir: string, graphFile: string, weightsPath: string, config: Gpt2Config, weights: Gpt2Weights, patterns: AttentionPatterns): Promise<Experiments> {
    return new Experiments(await InterventionModel.load(runDir, graphFile), config, weightsPath, weights, patterns);
  }

  /** The session an inspection of the ablated model runs on. */
  ablatedSession(ablations: readonly Ablation[], mode: AblationMode): OrtSession {
    return this.model.withFeeds(ablationFeeds(this.config, ablations, mode));
  }

  /** v = scale · (resid_pre(add) − resid_pre(subtract)) at `layer`, both padded with a space to K tokens: [K, d]. */
  async steeringVector(add: readonly number[], subtract: readonly number[], layer: number, scale: number): Promise<Float32Array> {
    this.checkIds(add, 'steering add text');
    this.checkIds(subtract, 'steering subtract text');
    const k = Math.max(add.length, subtract.length);
    const padded = (ids: readonly number[]) => [...ids, ...new Array<number>(k - ids.length).fill(STEERING_PAD_ID)];
    const hook = INTERVENTION_OUTPUTS.all(`blocks.${layer}.hook_resid_pre`);
    const resid = async (ids: readonly number[]) => (await this.model.runBatch(padded(ids), 1, this.config, identityFeeds(this.config), [hook]))[hook].data as Float32Array; // [1, K, d]
    const [a, b] = [await resid(add), await resid(subtract)];
    return Float32Array.from(a, (x, i) => scale * (x - b[i]));
  }

  /** The session a steered generation runs on: `vector` added at `layer` wherever a run covers positions < K. */
  steeredSession(vector: Float32Array, layer: number): OrtSession {
    return this.model.withFeeds((first, n) => steeringFeeds(this.config, vector, layer, first, n));
  }

  /**
   * Information-flow importances (routes.ts) of `ids`, from one run: any route graph is drawn from them
   * (protocol/routes.ts). Each head's share comes too with `byHead` (the CLI's JSON): n²·H/2 numbers a layer.
   */
  async routes(ids: readonly number[], byHead: true): Promise<Routes>;
  async routes(ids: readonly number[], byHead?: false): Promise<RouteImportances>;
  async routes(ids: readonly number[], byHead = false): Promise<RouteImportances | Routes> {
    this.checkIds(ids, 'text');
    const { nLayer, nHead, nEmbd: d } = this.config;
    const n = ids.length;
    const all = (l: number, hook: string) => INTERVENTION_OUTPUTS.all(`blocks.${l}.${hook}`);
    const perLayer = (l: number) => [all(l, 'hook_resid_pre'), all(l, 'hook_attn_out'), all(l, 'hook_mlp_out'), NEW_KV_OUTPUTS.query(l), NEW_KV_OUTPUTS.key(l), NEW_KV_OUTPUTS.value(l)];
    const out = await this.model.runBatch(ids, 1, this.config, identityFeeds(this.config), Array.from({ length: nLayer }, (_, l) => perLayer(l)).flat());
    const data = (name: string) => out[name].data as Float32Array;
    this.routeParts ??= RouteParts.create(nHead, d / nHead);
    const routeParts = await this.routeParts;
    const outputWeight = (l: number) => this.tensor(`h.${l}.attn.c_proj.weight`);
    // One layer's products at a time: at 1,024 tokens they are 140 MB a layer.
    async function* layers(): AsyncGenerator<LayerActivations> {
      for (let l = 0; l < nLayer; l++) {
        const residPre = data(all(l, 'hook_resid_pre'));
        const attnOut = data(all(l, 'hook_attn_out'));
        const residMid = new Float32Array(residPre.length); // [n, d]
        for (let k = 0; k < residMid.length; k++) residMid[k] = residPre[k] + attnOut[k];
        const parts = await routeParts.layer({
          query: data(NEW_KV_OUTPUTS.query(l)),
          key: data(NEW_KV_OUTPUTS.key(l)),
          value: data(NEW_KV_OUTPUTS.value(l)),
          residMid,
          outputWeight: outputWeight(l),
        });
        yield { residPre, residMid, mlpOut: data(all(l, 'hook_mlp_out')), parts };
      }
    }
    return byHead ? routeImportances(layers(), n, nHead, d, true) : routeImportances(layers(), n, nHead, d);
  }

  /** Direct logit attribution at `position` (attribution.ts), from one run of `ids` (in the ablated model, with `ablation`). */
  async attribute(ids: readonly number[], position: number, metric: Metric, ablation?: AblationSetting): Promise<AttributionResult> {
    this.checkIds(ids, 'text');
    this.checkPosition(position, ids.length);
    this.checkMetric(metric);
    const { nLayer } = this.config;
    const at = INTERVENTION_OUTPUTS.at;
    const perLayer = (hook: string) => Array.from({ length: nLayer }, (_, l) => at(`blocks.${l}.${hook}`));
    const fetches = [at('hook_embed'), at('hook_pos_embed'), ...perLayer('attn.hook_result'), ...perLayer('hook_mlp_out'), ...perLayer('mlp.hook_post'), at(`blocks.${nLayer - 1}.hook_resid_post`), INTERVENTION_OUTPUTS.logitsAt];
    const feeds = isAblating(ablation) ? ablationFeeds(this.config, ablation.ablations, ablation.mode, position) : identityFeeds(this.config, position);
    const out = await this.model.runBatch(ids, 1, this.config, feeds, fetches);
    const data = (name: string) => out[name].data as Float32Array;
    const layers = (hook: string) => perLayer(hook).map(data);
    const attribution = attribute({
      nLayer,
      nHead: this.config.nHead,
      nEmbd: this.config.nEmbd,
      epsilon: this.config.layerNormEpsilon,
      embed: data(at('hook_embed')),
      posEmbed: data(at('hook_pos_embed')),
      headResults: layers('attn.hook_result'),
      mlpOut: layers('hook_mlp_out'),
      post: layers('mlp.hook_post'),
      residPost: data(at(`blocks.${nLayer - 1}.hook_resid_post`)),
      lnfWeight: this.tensor('ln_f.weight'),
      lnfBias: this.tensor('ln_f.bias'),
      unembedTarget: this.row('wte.weight', metric.targetId),
      unembedVersus: metric.versusId === null ? null : this.row('wte.weight', metric.versusId),
      attnOutBias: Array.from({ length: nLayer }, (_, l) => this.tensor(`h.${l}.attn.c_proj.bias`)),
      mlpOutWeight: Array.from({ length: nLayer }, (_, l) => this.tensor(`h.${l}.mlp.c_proj.weight`)),
      mlpOutBias: Array.from({ length: nLayer }, (_, l) => this.tensor(`h.${l}.mlp.c_proj.bias`)),
    });
    return { attribution, logitDiff: metricOf(data(INTERVENTION_OUTPUTS.logitsAt), 0, this.config.vocabSize, metric) };
  }

  /**
   * What head `head` of `layer` writes at `position` of `ids` (head-writes.ts): the OV circuit of the `sources`
   * tokens it attends to most, and its direct effect on the logits, `top` tokens of each; from one run (of
   * the ablated model, with `ablation`) and one pass over W_U.
   */
  async headWrites(ids: readonly number[], position: number, layer: number, head: number, counts: { sources: number; top: number }, ablation?: AblationSetting): Promise<HeadWritesResult> {
    this.checkIds(ids, 'text');
    this.checkPosition(position, ids.length);
    const { nLayer, nHead, nEmbd: d, vocabSize } = this.config;
    if (!(Number.isInteger(layer) && layer >= 0 && layer < nLayer)) throw new GlassboxError('bad-request', `Layer ${layer} is not one of the model's ${nLayer}.`);
    if (!(Number.isInteger(head) && head >= 0 && head < nHead)) throw new GlassboxError('bad-request', `Head ${head} is not one of the model's ${nHead} a layer.`);
    const at = INTERVENTION_OUTPUTS.at;
    const result = at(`blocks.${layer}.attn.hook_result`);
    const residPost = at(`blocks.${nLayer - 1}.hook_resid_post`);
    const feeds = isAblating(ablation) ? ablationFeeds(this.config, ablation.ablations, ablation.mode, position) : identityFeeds(this.config, position);
    const out = await this.model.runBatch(ids, 1, this.config, feeds, [result, residPost, NEW_KV_OUTPUTS.query(layer), NEW_KV_OUTPUTS.key(layer)]);
    const data = (name: string) => out[name].data as Float32Array;
    const n = ids.length;
    const shape = { layers: 1, nHead, n, headDim: d / nHead };
    const { patterns } = await this.patterns.layers(data(NEW_KV_OUTPUTS.query(layer)), data(NEW_KV_OUTPUTS.key(layer)), shape, true);
    const sources = topSources(patternRow(patterns![0], head, position), counts.sources);

    const cAttn = this.tensor(`h.${layer}.attn.c_attn.weight`);
    const cProj = this.tensor(`h.${layer}.attn.c_proj.weight`);
    const ov = sources.map((s) => ovVector(this.row('wte.weight', ids[s.position]), cAttn, cProj, head, nHead));
    // The head's slice of [1, head, d] at P, read out through ln_final exactly as attribution reads it.
    const direct = Float32Array.from(readout(data(result), head * d, d, this.tensor('ln_f.weight'), finalScale(data(residPost), this.config.layerNormEpsilon)));
    const wte = this.entry('wte.weight');
    const logits = unembed([...ov, direct], vocabSize, d, (first, count) => readFloat32Entry(this.weightsPath, wte, 'wte.weight', first * d, count * d));
    return {
      sources: sources.map((s, i) => ({ ...s, id: ids[s.position], top: topTokens(logits[i], counts.top) })),
      promoted: topTokens(logits[sources.length], counts.top),
      suppressed: topTokens(logits[sources.length], counts.top, true),
    };
  }

  /** Activation patching of `hook` from `clean` into `corrupt` (same token count), metric at the last position. */
  async patch(clean: readonly number[], corrupt: readonly number[], hook: PatchHook, metric: Metric, options: PatchOptions = {}): Promise<PatchResult> {
    this.checkIds(clean, 'clean text');
    this.checkIds(corrupt, 'corrupt text');
    this.checkMetric(metric);
    if (clean.length !== corrupt.length) {
      throw new GlassboxError('bad-request', `The clean text is ${clean.length} tokens and the corrupt text ${corrupt.length}: patching needs the same token count (edit one so both tokenize to as many tokens).`);
    }
    const { batchTokens = PATCH_BATCH_TOKENS, reusePrefix = true } = options;
    const n = clean.length;
    const { nLayer, nHead, nEmbd, vocabSize } = this.config;
    const last = n - 1;
    const all = (l: number) => INTERVENTION_OUTPUTS.all(`blocks.${l}.${hook}`);
    const layers = Array.from({ length: nLayer }, (_, l) => l);
    const cleanRun = await this.model.runBatch(clean, 1, this.config, identityFeeds(this.config, last), [INTERVENTION_OUTPUTS.logitsAt, ...layers.map(all)]);
    // What a patch cannot change, as the corrupt run left it: the residual entering each layer, [1, n, d], where
    // a patch at that layer joins the batch; the keys and values, [1, head, n, head_dim], positions before a patch read.
    const resid = layers.map((l) => INTERVENTION_OUTPUTS.all(`blocks.${l}.hook_resid_pre`));
    const kv = [...layers.map(NEW_KV_OUTPUTS.key), ...layers.map(NEW_KV_OUTPUTS.value)];
    const corruptRun = await this.model.runBatch(corrupt, 1, this.config, identityFeeds(this.config, last), [INTERVENTION_OUTPUTS.logitsAt, ...(reusePrefix ? [...resid, ...kv] : [])]);
    const data = (name: string) => corruptRun[name].data as Float32Array;

    // The clean activations of every layer, [1, layer, position, …unit]: the replacement every batch entry shares.
    const perLayer = (cleanRun[all(0)].data as Float32Array).length;
    const stacked = new Float32Array(nLayer * perLayer);
    for (let l = 0; l < nLayer; l++) stacked.set(cleanRun[all(l)].data as Float32Array, l * perLayer);
    const byHead = hook === 'attn.hook_z';
    const per = byHead ? nHead : n; // patched units a layer: heads, or positions
    const results = Array.from({ length: nLayer }, () => new Array<number>(per).fill(0));
    for (const { from, units } of patchBatches(patchUnits(nLayer, per, byHead, reusePrefix), n, batchTokens)) {
      const { inputRows, first, runs } = reusePrefix ? this.reuse(units, from, n, data) : { inputRows: units.length, first: 0, runs: {} };
      const entries = first + units.length; // unit b is entry first + b
      const seq = n - from; // positions each run computes
      const feeds: Feeds = identityFeeds(this.config, seq - 1);
      // keep [entry, layer, position | 1, …]: all 1 but the one unit each entry patches.
      const keepDims = byHead ? [entries, nLayer, 1, nHead, 1] : [entries, nLayer, seq, 1];
      const perEntry = keepDims.slice(1).reduce((a, b) => a * b, 1);
      const keep = new Float32Array(entries * perEntry).fill(1);
      units.forEach((u, b) => (keep[(first + b) * perEntry + u.layer * (byHead ? nHead : seq) + (u.index - from)] = 0));
      feeds[INTERVENTION_INPUTS.keep(hook)] = new Tensor('float32', keep, keepDims);
      feeds[INTERVENTION_INPUTS.replace(hook)] = byHead
        ? new Tensor('float32', stacked, [1, nLayer, n, nHead, nEmbd / nHead])
        : new Tensor('float32', positionsOf(stacked, nLayer, n, from, nEmbd), [1, nLayer, seq, nEmbd]);
      const out = await this.model.runBatch(corrupt, inputRows, this.config, feeds, [INTERVENTION_OUTPUTS.logitsAt], runs);
      const logits = out[INTERVENTION_OUTPUTS.logitsAt].data as Float32Array;
      units.forEach((u, b) => (results[u.layer][u.index] = metricOf(logits, first + b, vocabSize, metric)));
    }
    return {
      clean: metricOf(cleanRun[INTERVENTION_OUTPUTS.logitsAt].data as Float32Array, 0, vocabSize, metric),
      corrupt: metricOf(corruptRun[INTERVENTION_OUTPUTS.logitsAt].data as Float32Array, 0, vocabSize, metric),
      results,
    };
  }

  /**
   * How a batch of patches (in layer order) reuses the corrupt run: a patch at layer 0 runs from the
   * embeddings (an `input_ids` row), one at a later layer joins the batch there with the corrupt residual; all
   * run positions `from` … n − 1 on the corrupt keys and values before `from`. A batch with no patch at layer 0
   * starts with one unpatched row (entry 0, `first` = 1): onnxruntime crashed (SIGFPE) on layers of 0 entries.
   */
  private reuse(units: readonly PatchUnit[], from: number, n: number, corrupt: (name: string) => Float32Array): { inputRows: number; first: number; runs: { prefix?: KvPrefix; join: Join } } {
    const { nLayer, nEmbd: d } = this.config;
    const seq = n - from;
    const atFirst = units.filter((u) => u.layer === 0).length;
    const joining = units.slice(atFirst);
    const resid = new Float32Array(joining.length * seq * d); // [row, seq, d]
    const perLayer = new Array<number>(nLayer).fill(0);
    joining.forEach((u, row) => {
      resid.set(corrupt(INTERVENTION_OUTPUTS.all(`blocks.${u.layer}.hook_resid_pre`)).subarray(from * d, n * d), row * seq * d);
      perLayer[u.layer]++;
    });
    const layers = Array.from({ length: nLayer }, (_, l) => l);
    const prefix = from > 0 ? { length: from, keys: layers.map((l) => corrupt(NEW_KV_OUTPUTS.key(l))), values: layers.map((l) => corrupt(NEW_KV_OUTPUTS.value(l))) } : undefined;
    const first = atFirst > 0 ? 0 : 1;
    return { inputRows: atFirst + first, first, runs: { prefix, join: { resid, perLayer } } };
  }

  async dispose(): Promise<void> {
    await (await this.routeParts?.catch(() => null))?.dispose();
    await this.model.dispose();
  }

  /**
   * Every entry point checks its tokens here, whoever calls it (the CLI, the model process): the graph's
   * embedding Gather would fail on an id past the vocabulary with onnxruntime's own words, not ours.
   */
  private checkIds(ids: readonly number[], what: string): void {
    const { nCtx, vocabSize } = this.config;
    if (ids.length === 0) throw new GlassboxError('text-empty', `The ${what} is empty.`);
    if (ids.length > nCtx) throw new GlassboxError('text-too-long', `The ${what} is ${ids.length} tokens; the model reads at most ${nCtx}.`);
    const outside = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (outside !== undefined) throw new GlassboxError('bad-request', `Token id ${outside} in the ${what} is outside the vocabulary.`);
  }

  private checkPosition(position: number, n: number): void {
    if (!(Number.isInteger(position) && position >= 0 && position < n)) throw new GlassboxError('bad-request', `Position ${position} is not one of the ${n} tokens.`);
  }

  private checkMetric(metric: Metric): void {
    this.checkIds([metric.targetId, ...(metric.versusId === null ? [] : [metric.versusId])], 'target');
  }

  private tensor(name: string): Float32Array {
    let data = this.cache.get(name);
    if (!data) this.cache.set(name, (data = readFloat32Entry(this.weightsPath, this.entry(name), name)));
    return data;
  }

  private row(name: string, row: number): Float32Array {
    const d = this.config.nEmbd;
    return readFloat32Entry(this.weightsPath, this.entry(name), name, row * d, d);
  }

  private entry(name: string) {
    const entry = this.weights.get(name);
    if (!entry) throw new GlassboxError('internal', `The weights have no ${name}.`);
    return entry;
  }
}

/** Positions `from` … n − 1 of every layer of `x` ([layer, n, d]): [layer, n − from, d]. */
function positionsOf(x: Float32Array, nLayer: number, n: number, from: number, d: number): Float32Array {
  if (from === 0) return x;
  const out = new Float32Array(nLayer * (n - from) * d);
  for (let l = 0; l < nLayer; l++) out.set(x.subarray((l * n + from) * d, (l + 1) * n * d), l * (n - from) * d);
  return out;
}

/** logit(A) − logit(B) (or logit(A)) in row `b` of [batch, vocab] logits. */
function metricOf(logits: Float32Array, b: number, vocab: number, metric: Metric): number {
  return logits[b * vocab + metric.targetId] - (metric.versusId === null ? 0 : logits[b * vocab + metric.versusId]);
}

