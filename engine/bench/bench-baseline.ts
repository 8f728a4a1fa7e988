// The benchmarks' baseline: the same weights as a plain GPT-2 graph (no hooks), run the way any
// transformers.js user would run it, through the model's own forward() and generate().

import { AutoModelForCausalLM, Tensor, env, type PreTrainedModel } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { prepareModel } from '../models/prepared-model';

const ids64 = (ids: readonly number[]) => new Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]);
const ones64 = (n: number) => new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);

export class TransformersJsBaseline {
  private constructor(private readonly model: PreTrainedModel) {}

  static async load(modelDir: string, cacheDir: string): Promise<TransformersJsBaseline> {
    const prepared = prepareModel(modelDir, cacheDir, modelDir, false);
    env.allowRemoteModels = false;
    env.localModelPath = dirname(prepared.runDir);
    const model = await AutoModelForCausalLM.from_pretrained(basename(prepared.runDir), { device: 'cpu', dtype: 'fp32', session_options: { logSeverityLevel: 3 } });
    return new TransformersJsBaseline(model);
  }

  /** model(input_ids): logits at every position. */
  async forward(ids: readonly number[]): Promise<void> {
    await this.model.forward({ input_ids: ids64(ids), attention_mask: ones64(ids.length) });
  }

  /** Greedy generate() with its KV cache; resolves to the generated ids. */
  async generate(ids: readonly number[], maxNewTokens: number): Promise<number> {
    const out = (await this.model.generate({
      inputs: ids64(ids),
      attention_mask: ones64(ids.length),
      max_new_tokens: maxNewTokens,
      min_new_tokens: maxNewTokens,
      do_sample: false,
    } as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
    return out.dims[1] - ids.length;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
