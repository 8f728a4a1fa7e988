// The session of the earlier-lens graph (earlier-lens-graph.ts): the logit lens at every hook_resid_pre, from
// the residual stream and the final lens point the model's graph returned.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { residHookNames, type Backend } from '../../protocol/inspection';
import { EARLIER_LENS_INPUTS, EARLIER_LENS_OUTPUTS } from '../graph/earlier-lens-graph';
import { FINAL_LENS_OUTPUTS } from '../graph/hooked-graph';
import type { HookOutputs } from './inspection-outputs';

export class EarlierLens {
  private constructor(
    private readonly session: InferenceSession,
    private readonly nLayer: number,
  ) {}

  /** On the model's device when it takes the graph, else on the CPU. */
  static async create(graphPath: string, backend: Backend, nLayer: number, log: (message: string) => void): Promise<EarlierLens> {
    // As for the model: every text has another length, and its warnings would only fill the user's log.
    const options = { logSeverityLevel: 3 as const, enableMemPattern: false };
    if (backend === 'webgpu') {
      try {
        return new EarlierLens(await InferenceSession.create(graphPath, { ...options, executionProviders: ['webgpu', 'cpu'] }), nLayer);
      } catch (error) {
        log(`The lens runs on the CPU: WebGPU did not take it (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`);
      }
    }
    return new EarlierLens(await InferenceSession.create(graphPath, { ...options, executionProviders: ['cpu'] }), nLayer);
  }

  /**
   * The lens at blocks.0 … blocks.{L-1}.hook_resid_pre of the positions a forward ran (batch of one), from that
   * forward's outputs: each [layer, rows, …] (EARLIER_LENS_OUTPUTS).
   */
  async run(forward: HookOutputs, topK: number, targetId: number | null): Promise<HookOutputs> {
    const points = residHookNames(this.nLayer).slice(0, this.nLayer).map((name) => forward[name]);
    const [, rows, d] = points[0].dims.map(Number);
    const stacked = new Float32Array(this.nLayer * rows * d);
    points.forEach((point, l) => stacked.set(point.data as Float32Array, l * rows * d));
    const i = EARLIER_LENS_INPUTS;
    const f = FINAL_LENS_OUTPUTS;
    const outputs = await this.session.run(
      {
        [i.residPre]: new Tensor('float32', stacked, [this.nLayer, rows, d]),
        [i.finalProjected]: new Tensor('float32', forward[f.projected].data as Float32Array, [rows, d]),
        [i.finalEntropy]: new Tensor('float32', forward[f.entropy].data as Float32Array, [rows]),
        [i.topK]: new Tensor('int64', BigInt64Array.of(BigInt(topK)), [1]),
        [i.target]: new Tensor('int64', BigInt64Array.of(BigInt(targetId ?? -1)), [1]),
      },
      Object.values(EARLIER_LENS_OUTPUTS),
    );
    // All of them numeric (float32, int64).
    return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { dims: t.dims, data: t.data as Float32Array | BigInt64Array }]));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
