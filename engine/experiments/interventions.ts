// The intervention graph (intervention-graph.ts) as the engine runs it: a session of its own, loaded when an
// experiment first asks, and the feeds that say what to change. With no ablation every feed is the identity.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { join } from 'node:path';
import { GlassboxError } from '../../protocol/errors';
import { ablationProblem, type Ablation, type AblationMode } from '../../protocol/interventions';
import type { Gpt2Config } from '../models/gpt2-config';
import type { OrtSession } from '../run/gpt2-session';
import { EVERY_POSITION_INPUT, HOOKS_INPUT, TARGET_INPUT, TOP_K_INPUT } from '../graph/hooked-graph';
import { INTERVENTION_INPUTS, INTERVENTION_SITES, siteUnitDims, type InterventionSite } from '../graph/intervention-graph';
import type { OutputTensor } from '../run/inspection-outputs';

export type Feeds = Record<string, Tensor>;

/** A float tensor of `dims` filled with `fill`. */
export function filled(dims: number[], fill: number): Tensor {
  return new Tensor('float32', new Float32Array(dims.reduce((n, d) => n * d, 1)).fill(fill), dims);
}

/** keep = 1 and replace = 0 everywhere (broadcast from dims of 1), no mean: the model as it is. */
export function identityFeeds(config: Gpt2Config, position = 0): Feeds {
  const feeds: Feeds = {};
  for (const site of INTERVENTION_SITES) {
    const unit = siteUnitDims(site, config.nHead, config.nEmbd);
    feeds[INTERVENTION_INPUTS.keep(site)] = filled([1, 1, 1, ...unit.keep.map(() => 1)], 1);
    feeds[INTERVENTION_INPUTS.replace(site)] = filled([1, 1, 1, ...unit.replace.map(() => 1)], 0);
  }
  feeds[INTERVENTION_INPUTS.join] = filled([0, 1, config.nEmbd], 0);
  feeds[INTERVENTION_INPUTS.joinOffsets] = new Tensor('int64', BigInt64Array.from([0n]), [1]);
  feeds[INTERVENTION_INPUTS.residAdd] = filled([1, 1, 1, 1], 0);
  feeds[INTERVENTION_INPUTS.mean] = filled([1], 0);
  feeds[INTERVENTION_INPUTS.position] = new Tensor('int64', BigInt64Array.from([BigInt(position)]), [1]);
  return feeds;
}

/**
 * Activation addition: the feeds of one run over absolute positions `first` … `first + n − 1` that add row k
 * of `vector` ([K, d]) to `blocks.{layer}.hook_resid_pre` at position k, for k < K; later positions get nothing.
 */
export function steeringFeeds(config: Gpt2Config, vector: Float32Array, layer: number, first: number, n: number): Feeds {
  const feeds = identityFeeds(config);
  const d = config.nEmbd;
  const rows = Math.min(vector.length / d - first, n);
  if (rows <= 0) return feeds;
  const add = new Float32Array(config.nLayer * n * d); // [1, layer, n, d]
  add.set(vector.subarray(first * d, (first + rows) * d), layer * n * d);
  feeds[INTERVENTION_INPUTS.residAdd] = new Tensor('float32', add, [1, config.nLayer, n, d]);
  return feeds;
}

const SITE_OF: Record<Ablation['hook'], InterventionSite> = {
  'attn.hook_z': 'attn.hook_z',
  hook_attn_out: 'hook_attn_out',
  hook_mlp_out: 'hook_mlp_out',
  'mlp.hook_post': 'mlp.hook_post',
};

/** The feeds that ablate every unit in `ablations` (to zero, or to its mean over the text's positions). */
export function ablationFeeds(config: Gpt2Config, ablations: readonly Ablation[], mode: AblationMode, position = 0): Feeds {
  const feeds = identityFeeds(config, position);
  const { nLayer, nHead, nEmbd } = config;
  for (const a of ablations) {
    const problem = ablationProblem(a, config);
    if (problem) throw new GlassboxError('bad-request', problem);
  }
  for (const site of INTERVENTION_SITES) {
    const here = ablations.filter((a) => SITE_OF[a.hook] === site);
    if (here.length === 0) continue;
    // keep [1, layer, 1, …unit]: one entry per layer and head or neuron (1 for a whole output).
    const unit = site === 'attn.hook_z' ? nHead : site === 'mlp.hook_post' ? 4 * nEmbd : 1;
    const keep = new Float32Array(nLayer * unit).fill(1);
    for (const a of here) keep[a.layer * unit + (a.unit ?? 0)] = 0;
    const dims = site === 'attn.hook_z' ? [1, nLayer, 1, nHead, 1] : [1, nLayer, 1, unit];
    feeds[INTERVENTION_INPUTS.keep(site)] = new Tensor('float32', keep, dims);
  }
  feeds[INTERVENTION_INPUTS.mean] = filled([1], mode === 'mean' ? 1 : 0);
  return feeds;
}

/** The keys and values of a text's first `length` positions, from a run of it: per layer [1, head, ≥ length, head_dim]. */
export interface KvPrefix {
  readonly length: number;
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
}

/** Runs that join a batch at later layers (intervention-graph.ts). */
export interface Join {
  /** Each joining run's `hook_resid_pre` at the layer it joins, in layer order: [rows, positions run, d]. */
  readonly resid: Float32Array;
  /** [layer]: how many rows join there. */
  readonly perLayer: readonly number[];
}

/** The first `length` positions of `source` ([1, head, positions, head_dim]) for each of `batch` entries: [batch, head, length, head_dim]. */
function tilePrefix(source: Float32Array, batch: number, nHead: number, length: number, headDim: number): Float32Array {
  const positions = source.length / (nHead * headDim);
  const out = new Float32Array(batch * nHead * length * headDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < nHead; h++) out.set(source.subarray(h * positions * headDim, (h * positions + length) * headDim), (b * nHead + h) * length * headDim);
  }
  return out;
}

/** The intervention graph's session. */
export class InterventionModel {
  private constructor(private readonly session: InferenceSession) {}

  static async load(runDir: string, file: string): Promise<InterventionModel> {
    const session = await InferenceSession.create(join(runDir, 'onnx', file), {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      enableMemPattern: false,
    });
    return new InterventionModel(session);
  }

  /**
   * The session as Gpt2Session runs it, with `feeds` added to every run (or the feeds for a run's first position
   * and length, for interventions that depend on where a run is): an inspection or generation of the changed model.
   */
  withFeeds(feeds: Feeds | ((first: number, n: number) => Feeds)): OrtSession {
    return {
      inputNames: this.session.inputNames,
      outputNames: this.session.outputNames,
      run: async (base, fetches) => {
        const positions = (base as Feeds).position_ids; // [1, n]
        const extra = typeof feeds === 'function' ? feeds(Number((positions.data as BigInt64Array)[0] ?? 0n), positions.dims[1]) : feeds;
        return (await this.session.run({ ...(base as Feeds), ...extra }, [...fetches])) as unknown as Record<string, OutputTensor>;
      },
    };
  }

  /**
   * `batch` runs of the same `ids` from the embeddings, and `join.perLayer[l]` more joining at each layer l
   * (their `hook_resid_pre` there in `join.resid`, [rows, positions run, d]), each with the interventions its
   * slice of `feeds` says (a dim of 1 serves every entry); returns the `fetches`. With a `prefix`, the runs
   * cover positions `prefix.length` … n − 1 only, reading the prefix's keys and values for the positions
   * before (shared by every entry); without, they run from position 0. The `feeds` are indexed by the
   * positions a run covers, and by entry: the `input_ids` rows, then the joined rows in order.
   */
  async runBatch(ids: readonly number[], batch: number, config: Gpt2Config, feeds: Feeds, fetches: readonly string[], runs: { prefix?: KvPrefix; join?: Join } = {}): Promise<Record<string, Tensor>> {
    const { prefix, join } = runs;
    const n = ids.length;
    const from = prefix?.length ?? 0;
    const seq = n - from;
    const { nLayer, nHead, nEmbd } = config;
    const headDim = nEmbd / nHead;
    const int64 = (values: number[], dims: number[]) => new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
    const tiled = (row: number[]) => Array.from({ length: batch }, () => row).flat();
    const base: Feeds = {
      input_ids: int64(tiled(ids.slice(from)), [batch, seq]),
      // One row serves every entry, however many have joined.
      attention_mask: int64(new Array<number>(n).fill(1), [1, n]),
      position_ids: int64(Array.from({ length: seq }, (_, i) => from + i), [1, seq]),
      num_logits_to_keep: int64([-1], []),
      [HOOKS_INPUT]: new Tensor('bool', [false], []),
      [EVERY_POSITION_INPUT]: new Tensor('bool', [true], []),
      [TOP_K_INPUT]: int64([1], [1]),
      [TARGET_INPUT]: int64([-1], [1]),
    };
    let entries = batch;
    for (let l = 0; l < nLayer; l++) {
      entries += join?.perLayer[l] ?? 0; // entries at layer l
      const past = (source: Float32Array | undefined) => new Tensor('float32', source ? tilePrefix(source, entries, nHead, from, headDim) : new Float32Array(0), [entries, nHead, from, headDim]);
      base[`past_key_values.${l}.key`] = past(prefix?.keys[l]);
      base[`past_key_values.${l}.value`] = past(prefix?.values[l]);
    }
    if (join) {
      const offsets = [0];
      for (const rows of join.perLayer) offsets.push(offsets.at(-1)! + rows);
      base[INTERVENTION_INPUTS.join] = new Tensor('float32', join.resid, [offsets.at(-1)!, seq, nEmbd]);
      base[INTERVENTION_INPUTS.joinOffsets] = int64(offsets, [offsets.length]);
    }
    return (await this.session.run({ ...feeds, ...base }, [...fetches])) as Record<string, Tensor>;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
