// Attention patterns and their thumbnails, one layer at a time, from the queries and keys an inspection
// kept (pattern-graph.ts). A small onnxruntime session of its own, always on the CPU: it holds no weights,
// and at 1,024 tokens a layer takes tens of milliseconds.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { packedPatternLength, THUMBNAIL_MAX_TILES } from '../../protocol/inspection';
import type { Float32Tensor } from '../../protocol/tensor';
import { buildPatternGraph, PATTERN_INPUTS, PATTERN_OUTPUTS } from '../graph/pattern-graph';

export interface LayersAttention {
  /** Per layer, [head + 1, tiles, tiles]: each head, then the mean over heads, max-pooled. */
  readonly thumbnails: readonly Float32Tensor[];
  /** Per layer, [head, n·(n+1)/2], when asked for. */
  readonly patterns: readonly Float32Tensor[] | null;
}

export interface PatternShape {
  readonly layers: number;
  readonly nHead: number;
  readonly n: number;
  readonly headDim: number;
}

export class AttentionPatterns {
  private constructor(private readonly session: InferenceSession) {}

  static async create(headDim: number): Promise<AttentionPatterns> {
    const session = await InferenceSession.create(buildPatternGraph(headDim, THUMBNAIL_MAX_TILES), {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      // As for the model: every text has another length.
      enableMemPattern: false,
    });
    return new AttentionPatterns(session);
  }

  /**
   * Some layers at once: `query` and `key` are [layer, head, n, head_dim]. The full patterns are computed
   * either way, and copied out and packed only when `packed`. One run for several layers saves a run's
   * overhead per layer on short texts; long ones go a layer at a time, so one layer's [head, n, n] exists at
   * once.
   */
  async layers(query: Float32Array, key: Float32Array, shape: PatternShape, packed: boolean): Promise<LayersAttention> {
    const dims = [shape.layers, shape.nHead, shape.n, shape.headDim];
    const outputs = await this.session.run(
      { [PATTERN_INPUTS.query]: new Tensor('float32', query, dims), [PATTERN_INPUTS.key]: new Tensor('float32', key, dims) },
      packed ? [PATTERN_OUTPUTS.thumbnails, PATTERN_OUTPUTS.pattern] : [PATTERN_OUTPUTS.thumbnails],
    );
    const thumbnails = outputs[PATTERN_OUTPUTS.thumbnails];
    const [, kinds, tiles] = thumbnails.dims.map(Number);
    const size = kinds * tiles * tiles;
    const layers = Array.from({ length: shape.layers }, (_, l) => l);
    return {
      // Copied apart: a view would carry the whole buffer through every structured clone to the webview.
      thumbnails: layers.map((l) => ({ dims: [kinds, tiles, tiles], data: (thumbnails.data as Float32Array).slice(l * size, (l + 1) * size) })),
      patterns: packed ? layers.map((l) => packCausalRows(outputs[PATTERN_OUTPUTS.pattern].data as Float32Array, l, shape)) : null,
    };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Layer `layer` of full [layer, head, n, n] patterns in the protocol's packed layout, [head, n·(n+1)/2]. */
export function packCausalRows(full: Float32Array, layer: number, shape: PatternShape): Float32Tensor {
  const { nHead, n } = shape;
  const length = packedPatternLength(n);
  const data = new Float32Array(nHead * length);
  for (let h = 0; h < nHead; h++) {
    const from = (layer * nHead + h) * n * n;
    for (let q = 0; q < n; q++) data.set(full.subarray(from + q * n, from + q * n + q + 1), h * length + packedPatternLength(q));
  }
  return { dims: [nHead, length], data };
}
