// `glassbox routes --json`: information-flow routes held to their definition (engine/experiments/routes.ts)
// computed plainly on the reference GPT-2, and the route graph to a plain search over LLM-TT-style nodes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generatedModel, referenceModel, SHAPES } from './generated-models';
import { layerNorm, referenceForward, seededRandom } from './reference-gpt2';
import { routeImportances } from '../../engine/experiments/routes';
import { RouteParts } from '../../engine/run/route-parts';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'glassbox-routes-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface RoutesJson {
  attention: number[][][];
  attentionByHead: number[][][][];
  attentionResidual: number[][];
  mlp: number[][];
  mlpResidual: number[][];
  edges: { layer: number; kind: 'attention' | 'mlp'; from: number; to: number; weight: number }[];
}

const l1 = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + Math.abs(x), 0);
const minus = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (x, k) => x - b[k]);
const proximity = (y: ArrayLike<number>, c: ArrayLike<number>) => Math.max(0, l1(y) - l1(minus(y, c)));
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4, `${what}: ${a} vs ${b}`);

for (const [name, shape] of Object.entries({ small: SHAPES.small, deep: SHAPES.deep })) {
  describe(`routes on the ${name} model`, () => {
    const model = generatedModel(shape);
    const text = 'The capital of France is Paris, and the capital of Italy is';
    const json = JSON.parse(execFileSync(process.execPath, [CLI, 'routes', '--model', model, '--text', text, '--json', '--cache-dir', join(work, 'cache')], { encoding: 'utf8' })) as RoutesJson;
    const ids = JSON.parse(execFileSync(process.execPath, [CLI, 'inspect', '--model', model, '--text', text, '--json', '--top-k', '1', '--cache-dir', join(work, 'cache')], { encoding: 'utf8' })).tokens.map((t: { id: number }) => t.id) as number[];
    const n = ids.length;
    const { config, weights } = referenceModel(model);
    const D = shape.nEmbd;
    const H = shape.nHead;
    const hd = D / H;
    const seen = new Map<string, Float32Array[]>();
    const run = referenceForward(config, weights, ids, (hook, x) => (seen.set(hook, x), x));

    test('every importance is its definition on the reference', () => {
      for (let l = 0; l < shape.nLayer; l++) {
        const pre = seen.get(`blocks.${l}.hook_resid_pre`)!;
        const attnOut = seen.get(`blocks.${l}.hook_attn_out`)!;
        const mlpOut = seen.get(`blocks.${l}.hook_mlp_out`)!;
        const wAttn = weights(`h.${l}.attn.c_attn.weight`); // [D, 3D]
        const bAttn = weights(`h.${l}.attn.c_attn.bias`);
        const wo = weights(`h.${l}.attn.c_proj.weight`);
        // v_h[j] from ln_1(resid_pre[j]), then v_h[j] · W_O[h]
        const written = (j: number, h: number) => {
          const x = layerNorm(pre[j], weights(`h.${l}.ln_1.weight`), weights(`h.${l}.ln_1.bias`), config.layerNormEpsilon);
          const v = Array.from({ length: hd }, (_, e) => {
            let s = bAttn[2 * D + h * hd + e];
            for (let k = 0; k < D; k++) s += x[k] * wAttn[k * 3 * D + 2 * D + h * hd + e];
            return s;
          });
          return Array.from({ length: D }, (_, k) => v.reduce((s, ve, e) => s + ve * wo[(h * hd + e) * D + k], 0));
        };
        const vo = Array.from({ length: n }, (_, j) => Array.from({ length: H }, (_, h) => written(j, h)));
        for (let i = 0; i < n; i++) {
          const y = Array.from(pre[i], (x, k) => x + attnOut[i][k]);
          const parts: number[][] = [];
          const residual = proximity(y, pre[i]);
          let sum = residual;
          for (let j = 0; j <= i; j++) {
            parts.push(Array.from({ length: H }, (_, h) => {
              const a = run.patterns[l][h][i][j];
              const p = proximity(y, vo[j][h].map((x) => a * x));
              sum += p;
              return p;
            }));
          }
          const share = (p: number) => (sum > 0 ? p / sum : 0);
          close(json.attentionResidual[l][i], share(residual), `attentionResidual[${l}][${i}]`);
          assert.equal(json.attention[l][i].length, i + 1, 'j runs over 0 … i');
          for (let j = 0; j <= i; j++) {
            close(json.attention[l][i][j], parts[j].reduce((s, p) => s + share(p), 0), `attention[${l}][${i}][${j}]`);
            for (let h = 0; h < H; h++) close(json.attentionByHead[l][i][j][h], share(parts[j][h]), `attentionByHead[${l}][${i}][${j}][${h}]`);
          }
          const post = Array.from(y, (x, k) => x + mlpOut[i][k]);
          const fromMlp = proximity(post, mlpOut[i]);
          const fromMid = proximity(post, y);
          close(json.mlp[l][i], fromMlp + fromMid > 0 ? fromMlp / (fromMlp + fromMid) : 0, `mlp[${l}][${i}]`);
          close(json.mlpResidual[l][i], fromMlp + fromMid > 0 ? fromMid / (fromMlp + fromMid) : 0, `mlpResidual[${l}][${i}]`);
        }
      }
    });

    test('the edges are those of weight ≥ 0.04 reachable backwards from the last position', () => {
      // Nodes as the LLM Transparency Tool has them: X_j (before layer 0), A{l}_i (after attention), I{l}_i
      // (after the MLP); edges with their weights, searched backwards from I{L-1}_{n-1}.
      const tau = 0.04;
      const into = new Map<string, { from: string; weight: number; edge?: string }[]>();
      const add = (from: string, to: string, weight: number, edge?: string) => into.set(to, [...(into.get(to) ?? []), { from, weight, edge }]);
      for (let l = 0; l < shape.nLayer; l++) {
        const before = (j: number) => (l === 0 ? `X_${j}` : `I${l - 1}_${j}`);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) add(before(j), `A${l}_${i}`, json.attention[l][i][j], `${l}:attention:${j}:${i}`);
          add(before(i), `A${l}_${i}`, json.attentionResidual[l][i]);
          add(`A${l}_${i}`, `I${l}_${i}`, json.mlp[l][i], `${l}:mlp:${i}:${i}`);
          add(`A${l}_${i}`, `I${l}_${i}`, json.mlpResidual[l][i]);
        }
      }
      const kept = new Set<string>();
      const stack = [`I${shape.nLayer - 1}_${n - 1}`];
      const visited = new Set(stack);
      while (stack.length > 0) {
        for (const e of into.get(stack.pop()!) ?? []) {
          if (e.weight < tau) continue;
          if (e.edge) kept.add(e.edge);
          if (!visited.has(e.from)) visited.add(e.from), stack.push(e.from);
        }
      }
      assert.deepEqual(new Set(json.edges.map((e) => `${e.layer}:${e.kind}:${e.from}:${e.to}`)), kept);
      for (const e of json.edges) assert.ok(e.weight >= tau && e.weight === (e.kind === 'mlp' ? json.mlp[e.layer][e.to] : json.attention[e.layer][e.to][e.from]));
      assert.ok(json.edges.length > 0);
    });
  });
}

// The engine computes the attention parts by the sign identity in routes.ts, visiting only y's smallest
// coordinates; here parts often outweigh y coordinate by coordinate (the correction taken), y has exact zeros
// (sign(0) = 1) and ties, and every importance is held to the definition written plainly.
describe('routes on crafted activations', () => {
  const [n, nHead, headDim] = [7, 2, 4];
  const d = nHead * headDim;
  const random = seededRandom(7);
  const uniform = (length: number, scale: number) => Float32Array.from({ length }, () => scale * (2 * random() - 1));
  const query = uniform(nHead * n * headDim, 2); // [1, head, n, head_dim]
  const key = uniform(nHead * n * headDim, 2);
  const value = uniform(nHead * n * headDim, 3);
  const outputWeight = uniform(d * d, 1); // [d, d]
  const residPre = uniform(n * d, 1); // [n, d]
  const residMid = uniform(n * d, 1);
  const mlpOut = uniform(n * d, 1);
  for (const k of [0, 5, 13, 40]) residMid[k] = 0;
  [residMid[20], residMid[21]] = [0.5, -0.5];

  // The definition: A_h = softmax(q_h · k_hᵀ) over j ≤ i, c_{j,h} = A_h[i, j] · v_h[j] · W_O[h].
  const pattern = (h: number, i: number) => {
    const at = (x: Float32Array, j: number) => x.subarray((h * n + j) * headDim, (h * n + j + 1) * headDim);
    const scores = Array.from({ length: i + 1 }, (_, j) => at(query, i).reduce((s, q, e) => s + q * at(key, j)[e], 0));
    const max = Math.max(...scores);
    const e = scores.map((x) => Math.exp(x - max));
    return e.map((x) => x / e.reduce((a, b) => a + b, 0));
  };
  const part = (h: number, i: number, j: number) =>
    Array.from({ length: d }, (_, k) => {
      let s = 0;
      for (let e = 0; e < headDim; e++) s += value[(h * n + j) * headDim + e] * outputWeight[(h * headDim + e) * d + k];
      return pattern(h, i)[j] * s;
    });
  const row = (x: Float32Array, i: number) => x.subarray(i * d, (i + 1) * d);

  test('every importance is its definition, with and without the per-head split', async () => {
    const routeParts = await RouteParts.create(nHead, headDim);
    try {
      const parts = await routeParts.layer({ query, key, value, residMid, outputWeight });
      const layers = [{ residPre, residMid, mlpOut, parts }];
      const routes = await routeImportances(layers, n, nHead, d, true);
      let corrected = 0;
      for (let i = 0; i < n; i++) {
        const y = row(residMid, i);
        const residual = proximity(y, row(residPre, i));
        const byHead = Array.from({ length: i + 1 }, (_, j) => Array.from({ length: nHead }, (_, h) => proximity(y, part(h, i, j))));
        // The identity's correction is taken where s_k · c_k > |y_k| (s = sign(y), sign(0) = 1).
        for (let j = 0; j <= i; j++) for (let h = 0; h < nHead; h++) if (part(h, i, j).some((c, k) => (y[k] < 0 ? -c : c) > Math.abs(y[k]))) corrected++;
        const sum = residual + byHead.flat().reduce((a, b) => a + b, 0);
        const share = (p: number) => (sum > 0 ? p / sum : 0);
        close(routes.attentionResidual[0][i], share(residual), `attentionResidual[${i}]`);
        for (let j = 0; j <= i; j++) {
          close(routes.attention[0][i][j], byHead[j].reduce((s, p) => s + share(p), 0), `attention[${i}][${j}]`);
          for (let h = 0; h < nHead; h++) close(routes.attentionByHead[0][i][j][h], share(byHead[j][h]), `attentionByHead[${i}][${j}][${h}]`);
        }
        const post = Array.from(y, (x, k) => x + mlpOut[i * d + k]);
        const [fromMlp, fromMid] = [proximity(post, row(mlpOut, i)), proximity(post, y)];
        close(routes.mlp[0][i], fromMlp / (fromMlp + fromMid), `mlp[${i}]`);
        close(routes.mlpResidual[0][i], fromMid / (fromMlp + fromMid), `mlpResidual[${i}]`);
      }
      assert.ok(corrected > n, `parts that outweigh y in some coordinate: ${corrected}`);
      const summed = await routeImportances(layers, n, nHead, d);
      assert.deepEqual(summed, { attention: routes.attention, attentionResidual: routes.attentionResidual, mlp: routes.mlp, mlpResidual: routes.mlpResidual });
    } finally {
      await routeParts.dispose();
    }
  });
});
