// The rate behind the arithmetic floor of the bench's compute-bound targets (their operations are counted in
// protocol/model-cost.ts). The fp32 GEMM rate onnxruntime reaches on this machine is measured in the bench's
// own process, on the model's own unembedding (the lens's largest multiply), because the shared VMs here moved
// it by 2× within one run: a floor from a fixed figure would mislead on a slow day and flatter on a fast one.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { unembedFlops } from '../protocol/model-cost';
import { readGpt2Config } from './gpt2-config';
import { DataType, GraphBuilder, encodeModel } from './onnx-builder';
import { OPSET } from './hooked-graph';
import { locateGpt2Weights } from './gpt2-weights';
import { readSafetensorsIndex } from './safetensors';
import { placeWeights } from './prepared-model';

/**
 * GFLOP/s of `rows` × d times the model's unembedding [vocab, d]ᵀ, the lens's own GEMM shape, best of
 * `runs` after a warm-up: the best, because the floor is what the machine can do, not what it did.
 */
export async function measureGemmRate(modelDir: string, runs = 5, rows = 256): Promise<number> {
  const config = readGpt2Config(modelDir);
  const weightsPath = join(modelDir, 'model.safetensors');
  const wte = locateGpt2Weights(readSafetensorsIndex(weightsPath), config).get('wte.weight');
  if (!wte) throw new Error('the model has no wte.weight');
  const folder = mkdtempSync(join(tmpdir(), 'glassbox-gemm-'));
  try {
    placeWeights(weightsPath, join(folder, 'model.safetensors'));
    const g = new GraphBuilder('gemm_rate');
    const x = g.input('x', DataType.FLOAT, [rows, config.nEmbd]);
    g.external({ name: 'wte', type: DataType.FLOAT, dims: wte.shape, location: 'model.safetensors', offset: wte.offset, length: wte.byteLength });
    const product = g.op('Gemm', [x, 'wte'], { transB: 1 });
    // One column out: the product stays inside onnxruntime, as the lens's does.
    g.output(g.identity(g.op('Slice', [product, g.ints([0]), g.ints([1]), g.ints([1])]), 'y'), DataType.FLOAT, null);
    const graphPath = join(folder, 'gemm.onnx');
    writeFileSync(graphPath, encodeModel(g.graph(), OPSET, 'glassbox-bench'));
    const session = await InferenceSession.create(graphPath, { logSeverityLevel: 3 });
    const input = new Tensor('float32', Float32Array.from({ length: rows * config.nEmbd }, (_, i) => Math.sin(i)), [rows, config.nEmbd]);
    let best = Infinity;
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      await session.run({ x: input });
      if (i > 0) best = Math.min(best, performance.now() - start);
    }
    await session.release();
    return unembedFlops(config, rows) / (best / 1000) / 1e9;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
