// The route-parts graph (route-parts-graph.ts) as the experiments run it: a small CPU session of its own,
// one run a layer.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildRoutePartsGraph, ROUTE_PARTS_INPUTS, ROUTE_PARTS_OUTPUTS } from '../graph/route-parts-graph';
import type { HeadParts } from '../experiments/routes';

/** One layer's inputs: `query`, `key`, `value` [1, head, n, head_dim]; `residMid` [n, d]; `outputWeight` [d, d]. */
export interface RoutePartsInputs {
  readonly query: Float32Array;
  readonly key: Float32Array;
  readonly value: Float32Array;
  readonly residMid: Float32Array;
  readonly outputWeight: Float32Array;
}

export class RouteParts {
  private constructor(
    private readonly session: InferenceSession,
    private readonly nHead: number,
    private readonly headDim: number,
  ) {}

  static async create(nHead: number, headDim: number): Promise<RouteParts> {
    const session = await InferenceSession.create(buildRoutePartsGraph(nHead, headDim), {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      // Every text has another length.
      enableMemPattern: false,
      // JavaScript works on each layer between runs; pool threads spinning after a run would take a core from it
      // (routes ÷ a plain inspection 0.38–0.46 × without spinning, 0.50–0.52 × with, in the same minutes).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new RouteParts(session, nHead, headDim);
  }

  async layer(inputs: RoutePartsInputs): Promise<HeadParts> {
    const { nHead, headDim } = this;
    const d = nHead * headDim;
    const n = inputs.residMid.length / d;
    const heads = (data: Float32Array) => new Tensor('float32', data, [1, nHead, n, headDim]);
    const out = await this.session.run({
      [ROUTE_PARTS_INPUTS.query]: heads(inputs.query),
      [ROUTE_PARTS_INPUTS.key]: heads(inputs.key),
      [ROUTE_PARTS_INPUTS.value]: heads(inputs.value),
      [ROUTE_PARTS_INPUTS.residMid]: new Tensor('float32', inputs.residMid, [n, d]),
      [ROUTE_PARTS_INPUTS.outputWeight]: new Tensor('float32', inputs.outputWeight, [d, d]),
    });
    const data = (name: string) => out[name].data as Float32Array;
    return {
      pattern: data(ROUTE_PARTS_OUTPUTS.pattern),
      written: data(ROUTE_PARTS_OUTPUTS.written),
      aligned: data(ROUTE_PARTS_OUTPUTS.aligned),
      reachUp: data(ROUTE_PARTS_OUTPUTS.reachUp),
      reachDown: data(ROUTE_PARTS_OUTPUTS.reachDown),
    };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
