// One forward of the loaded graph: the engine feeds the onnxruntime session itself and fetches only what it
// reads. transformers.js loads the session; its forward() would fetch every output, `present.*` included,
// and onnxruntime-node copies each fetched tensor into a new JS buffer (measured at 900 tokens of context:
// 31 ms a decoding step fetching the logits, 81 ms fetching the logits and `present.*`). The keys and values
// come back as the small per-run `new.*` outputs instead and go into the engine's KvCache.

import { Tensor } from '@huggingface/transformers';
import { EVERY_POSITION_INPUT, HOOKS_INPUT, NEW_KV_OUTPUTS, TARGET_INPUT, TOP_K_INPUT } from '../graph/hooked-graph';
import type { HookOutputs, OutputTensor } from './inspection-outputs';
import type { KvCache, KvShape, NewEntries } from './kv-cache';

/** The onnxruntime InferenceSession inside a transformers.js model, as far as the engine uses it. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, OutputTensor>>;
}

export interface LensControls {
  readonly topK: number;
  /** Token id whose probability and rank the lens reports; null for none. */
  readonly targetId: number | null;
}

export type LogitRows = 'all' | 'last' | 'none';
/** The graph's `num_logits_to_keep` for each choice. */
const LOGITS_TO_KEEP: Record<LogitRows, number> = { all: 0, last: 1, none: -1 };

export interface RunOptions {
  /** Compute and return every hook with these lens settings, and not the logits; without, only the logits. */
  readonly hooks?: LensControls;
  /** Which positions' logits the run computes: an inspection needs none (its lens has the final distribution). */
  readonly logits: LogitRows;
}

/** The transformers.js Tensor's onnxruntime tensor: what the session takes. */
function ort(type: 'int64' | 'float32' | 'bool', data: BigInt64Array | Float32Array | boolean[], dims: number[]): unknown {
  return (new Tensor(type, data, dims) as unknown as { ort_tensor: unknown }).ort_tensor;
}

const int64 = (values: ArrayLike<number>, dims: number[]) => ort('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

export class Gpt2Session {
  /** Whether the graph has the hook inputs and outputs (the benchmark's plain graph has not). */
  readonly hooked: boolean;
  private readonly hookOutputs: readonly string[];
  private readonly kvOutputs: readonly string[];
  private readonly queryOutputs: readonly string[];

  constructor(
    private readonly session: OrtSession,
    readonly shape: KvShape,
  ) {
    this.hooked = session.inputNames.includes(HOOKS_INPUT);
    this.kvOutputs = Array.from({ length: shape.nLayer }, (_, l) => [NEW_KV_OUTPUTS.key(l), NEW_KV_OUTPUTS.value(l)]).flat();
    this.queryOutputs = Array.from({ length: shape.nLayer }, (_, l) => NEW_KV_OUTPUTS.query(l));
    const perRun = new Set([...this.kvOutputs, ...this.queryOutputs]);
    // The intervention graph's own outputs (`at.*`, `all.*`) are read by the experiments, not by inspections.
    this.hookOutputs = session.outputNames.filter((name) => name !== 'logits' && !name.startsWith('present.') && !perRun.has(name) && !/^(at|all)\./.test(name));
  }

  /**
   * Runs `ids` after the tokens `cache` holds and appends their keys and values (and queries, if it keeps
   * them) to it. With hooks the past is fed exactly (the lens reads one row per token); without, the cache's
   * free slots ride along masked.
   */
  async run(ids: readonly number[], cache: KvCache, options: RunOptions): Promise<HookOutputs> {
    if (options.hooks && !this.hooked) throw new Error('this graph was built without hooks');
    const { nLayer, nHead, headDim } = this.shape;
    const n = ids.length;
    const past = cache.past(options.hooks !== undefined);
    const feeds: Record<string, unknown> = {
      input_ids: int64(ids, [1, n]),
      attention_mask: int64(Array.from({ length: past.slots + n }, (_, i) => (i >= past.slots || past.used(i) ? 1 : 0)), [1, past.slots + n]),
      position_ids: int64(Array.from({ length: n }, (_, i) => cache.length + i), [1, n]),
      num_logits_to_keep: int64([LOGITS_TO_KEEP[options.logits]], []),
    };
    for (let l = 0; l < nLayer; l++) {
      feeds[`past_key_values.${l}.key`] = ort('float32', past.keys[l], [1, nHead, past.slots, headDim]);
      feeds[`past_key_values.${l}.value`] = ort('float32', past.values[l], [1, nHead, past.slots, headDim]);
    }
    if (this.hooked) {
      feeds[HOOKS_INPUT] = ort('bool', [options.hooks !== undefined], []);
      // Kept queries are every position's: the pattern graph rebuilds whole patterns from them.
      feeds[EVERY_POSITION_INPUT] = ort('bool', [options.hooks !== undefined || cache.keepsQueries], []);
      feeds[TOP_K_INPUT] = int64([options.hooks?.topK ?? 1], [1]);
      feeds[TARGET_INPUT] = int64([options.hooks?.targetId ?? -1], [1]);
    }
    // An inspection reads the lens, not the logits: [position, vocab] is 0.2 GB at 1,024 tokens.
    const perRun = cache.keepsQueries ? [...this.kvOutputs, ...this.queryOutputs] : this.kvOutputs;
    // With hooks, the residual stream at every point comes too (40 MB at 1,024 tokens): the earlier lens points
    // are computed from it (earlier-lens.ts).
    const outputs = await this.session.run(feeds, options.hooks ? [...perRun, ...this.hookOutputs] : options.logits === 'none' ? perRun : ['logits', ...perRun]);
    const entries = (name: (layer: number) => string) => Array.from({ length: nLayer }, (_, l) => outputs[name(l)] as NewEntries);
    cache.append(ids, entries(NEW_KV_OUTPUTS.key), entries(NEW_KV_OUTPUTS.value), cache.keepsQueries ? entries(NEW_KV_OUTPUTS.query) : []);
    return outputs;
  }
}
