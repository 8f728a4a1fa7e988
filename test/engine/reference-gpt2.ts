// GPT-2 in plain loops, to be read beside nanoGPT's model.py and Hugging Face's GPT2LMHeadModel. The engine's
// tests hold the ONNX graph to it, so it is written to be obviously right rather than fast: every activation is
// a Float32Array (the model runs in float32), every sum is accumulated in a float64. It deliberately imports
// nothing from engine/: a reference that shares code with what it checks would share its bugs.

export interface ReferenceConfig {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly nCtx: number;
  readonly vocabSize: number;
  readonly layerNormEpsilon: number;
  /** config.json's `scale_attn_weights`: scores / sqrt(head_dim). Absent = true, as in GPT-2. */
  readonly scaleAttnWeights?: boolean;
  /** config.json's `scale_attn_by_inverse_layer_idx`: layer l's scores also / (l + 1). Absent = false. */
  readonly scaleAttnByInverseLayerIdx?: boolean;
}

/**
 * Weights by Hub GPT-2 name without any `transformer.` prefix, row-major float32:
 * `wte.weight` [V, D], `wpe.weight` [C, D], `h.{l}.ln_1.weight|bias` [D], `h.{l}.attn.c_attn.weight` [D, 3D]
 * (Conv1D, so y = x @ W), `h.{l}.attn.c_attn.bias` [3D], `h.{l}.attn.c_proj.weight` [D, D] / `.bias` [D],
 * `h.{l}.ln_2.*` [D], `h.{l}.mlp.c_fc.weight` [D, 4D] / `.bias` [4D], `h.{l}.mlp.c_proj.weight` [4D, D] /
 * `.bias` [D], `ln_f.weight|bias` [D]. The head is tied to `wte.weight`.
 */
export type ReferenceWeights = (name: string) => Float32Array;

export interface ReferenceRun {
  /** [T][V], the model's output logits. */
  readonly logits: Float32Array[];
  /**
   * [P = L + 1][T][D]: `blocks.{l}.hook_resid_pre` for l = 0 … L-1, then `blocks.{L-1}.hook_resid_post`
   * (before ln_f), in the order of `residHookNames`.
   */
  readonly resid: Float32Array[][];
  /**
   * [L][H][Tq][Tk] with Tk = T: `blocks.{l}.attn.hook_pattern`, softmax probabilities; entries with key > query
   * are exactly 0, as in the protocol's `Attention.patterns`.
   */
  readonly patterns: Float32Array[][][];
}

/** The logit lens at one residual point and position. */
export interface ReferenceLensCell {
  /** Most probable first; equal probabilities keep the lower id first (ONNX TopK's order). */
  readonly topIds: number[];
  readonly topProbs: number[];
  /** Nats. */
  readonly entropy: number;
  /** KL(final || lens) = Σ p_final (log p_final − log p_lens), nats; exactly 0 at the last point. */
  readonly kl: number;
  /** Present when `opts.target` is given. */
  readonly targetProb?: number;
  /** How many vocabulary entries have a strictly greater probability than the target; 0 = top-1. */
  readonly targetRank?: number;
}

export interface ReferenceLensOptions {
  readonly topK: number;
  readonly target?: number;
}

export interface ReferenceNext {
  /** [T]: probability of ids[t + 1] under logits[t]; NaN at the last position. */
  readonly prob: number[];
  /** [T]: entries with strictly greater probability than ids[t + 1]; -1 at the last position. */
  readonly rank: number[];
}

// ---------------------------------------------------------------------------------------------------------
// The model

/**
 * A hook as TransformerLens has them: called with a whole activation, [T][unit], returns what the model
 * continues with. Names: `blocks.{l}.hook_resid_pre` [T][D], `blocks.{l}.attn.hook_z` [T][D] (heads side by
 * side, head h at columns h·hd … (h+1)·hd − 1, before c_proj), `blocks.{l}.hook_attn_out` [T][D] (after c_proj,
 * bias included), `blocks.{l}.mlp.hook_post` [T][4D] (after gelu), `blocks.{l}.hook_mlp_out` [T][D].
 */
export type ReferenceHook = (name: string, activation: Float32Array[]) => Float32Array[];

const noHook: ReferenceHook = (_, activation) => activation;

export function referenceForward(config: ReferenceConfig, weights: ReferenceWeights, ids: readonly number[], hook: ReferenceHook = noHook): ReferenceRun {
  const { nLayer, nEmbd: D, nCtx, vocabSize: V } = config;
  const T = ids.length;
  if (T === 0 || T > nCtx) throw new Error(`referenceForward: ${T} tokens, the context holds 1 … ${nCtx}`);
  const wte = param(config, weights, 'wte.weight'); // [V, D]
  const wpe = param(config, weights, 'wpe.weight'); // [C, D]

  // token + position embeddings
  let x: Float32Array[] = ids.map((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`referenceForward: token id ${id} outside 0 … ${V - 1}`);
    const row = new Float32Array(D);
    for (let d = 0; d < D; d++) row[d] = wte[id * D + d] + wpe[t * D + d];
    return row;
  }); // [T, D]

  const resid: Float32Array[][] = [];
  const patterns: Float32Array[][][] = [];
  for (let l = 0; l < nLayer; l++) {
    x = hook(`blocks.${l}.hook_resid_pre`, x);
    resid.push(x);
    const out = block(config, weights, l, x, hook);
    patterns.push(out.pattern);
    x = out.x;
  }
  resid.push(x);

  const logits = x.map((row) => lmHead(config, weights, row)); // [T, V]
  return { logits, resid, patterns };
}

/** x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)) */
function block(config: ReferenceConfig, weights: ReferenceWeights, l: number, x: Float32Array[], hook: ReferenceHook): { x: Float32Array[]; pattern: Float32Array[][] } {
  const h = `h.${l}`;
  const eps = config.layerNormEpsilon;
  const ln1 = x.map((row) => layerNorm(row, param(config, weights, `${h}.ln_1.weight`), param(config, weights, `${h}.ln_1.bias`), eps));
  const attn = causalSelfAttention(config, weights, h, ln1, l, hook);
  x = add(x, hook(`blocks.${l}.hook_attn_out`, attn.y));
  const ln2 = x.map((row) => layerNorm(row, param(config, weights, `${h}.ln_2.weight`), param(config, weights, `${h}.ln_2.bias`), eps));
  x = add(x, hook(`blocks.${l}.hook_mlp_out`, mlp(config, weights, h, ln2, (post) => hook(`blocks.${l}.mlp.hook_post`, post))));
  return { x, pattern: attn.pattern };
}

function causalSelfAttention(config: ReferenceConfig, weights: ReferenceWeights, h: string, x: Float32Array[], layer: number, hook: ReferenceHook): { y: Float32Array[]; pattern: Float32Array[][] } {
  const { nEmbd: D, nHead: H } = config;
  const T = x.length;
  const hd = D / H; // head_dim
  // As GPT2Attention._attn: divide by sqrt(head_dim) unless scale_attn_weights is false, and by layer_idx + 1
  // when scale_attn_by_inverse_layer_idx is true.
  const scale = (config.scaleAttnWeights === false ? 1 : 1 / Math.sqrt(hd)) / (config.scaleAttnByInverseLayerIdx ? layer + 1 : 1);
  // c_attn's output is q | k | v, each [D] laid out head after head: head i of q is columns i*hd … (i+1)*hd-1.
  const qkv = linear(x, param(config, weights, `${h}.attn.c_attn.weight`), param(config, weights, `${h}.attn.c_attn.bias`)); // [T, 3D]
  const q = (t: number, head: number, i: number): number => qkv[t][head * hd + i];
  const k = (t: number, head: number, i: number): number => qkv[t][D + head * hd + i];
  const v = (t: number, head: number, i: number): number => qkv[t][2 * D + head * hd + i];

  const pattern: Float32Array[][] = []; // [H, Tq, Tk]
  const y = x.map(() => new Float32Array(D)); // [T, D], heads side by side again
  for (let head = 0; head < H; head++) {
    const rows: Float32Array[] = [];
    for (let tq = 0; tq < T; tq++) {
      // att = (q @ k^T) * scale over keys 0 … tq only: the causal mask, so later keys get exactly 0 below.
      const att = new Float64Array(tq + 1); // [Tk ≤ tq]
      for (let tk = 0; tk <= tq; tk++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q(tq, head, i) * k(tk, head, i);
        att[tk] = dot * scale;
      }
      const probs = softmax(att);
      const row = new Float32Array(T); // [Tk], zeros above the diagonal
      row.set(probs);
      rows.push(row);
      // y = att @ v, with the float32 pattern the hook reports
      for (let i = 0; i < hd; i++) {
        let acc = 0;
        for (let tk = 0; tk <= tq; tk++) acc += row[tk] * v(tk, head, i);
        y[tq][head * hd + i] = acc;
      }
    }
    pattern.push(rows);
  }
  const z = hook(`blocks.${layer}.attn.hook_z`, y);
  return { y: linear(z, param(config, weights, `${h}.attn.c_proj.weight`), param(config, weights, `${h}.attn.c_proj.bias`)), pattern };
}

function mlp(config: ReferenceConfig, weights: ReferenceWeights, h: string, x: Float32Array[], postHook: (post: Float32Array[]) => Float32Array[]): Float32Array[] {
  const hidden = linear(x, param(config, weights, `${h}.mlp.c_fc.weight`), param(config, weights, `${h}.mlp.c_fc.bias`)); // [T, 4D]
  for (const row of hidden) for (let j = 0; j < row.length; j++) row[j] = geluNew(row[j]);
  return linear(postHook(hidden), param(config, weights, `${h}.mlp.c_proj.weight`), param(config, weights, `${h}.mlp.c_proj.bias`)); // [T, D]
}

/** logits = ln_f(x) @ wte^T: [D] -> [V]. The same function serves the forward and the lens, so the lens's last point is the output. */
function lmHead(config: ReferenceConfig, weights: ReferenceWeights, x: Float32Array): Float32Array {
  const { nEmbd: D, vocabSize: V } = config;
  const hidden = layerNorm(x, param(config, weights, 'ln_f.weight'), param(config, weights, 'ln_f.bias'), config.layerNormEpsilon); // [D]
  const wte = param(config, weights, 'wte.weight'); // [V, D]
  const logits = new Float32Array(V);
  for (let v = 0; v < V; v++) {
    const row = v * D; // wte[v] is contiguous, so this loop streams the [V, D] matrix once
    let acc = 0;
    for (let d = 0; d < D; d++) acc += hidden[d] * wte[row + d];
    logits[v] = acc;
  }
  return logits;
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks, exported so the self-test can pin them on hand-checked numbers

/** LayerNorm over one row with the biased variance, as torch.nn.LayerNorm: [D] -> [D]. */
export function layerNorm(x: Float32Array, weight: Float32Array, bias: Float32Array, eps: number): Float32Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * weight[i] + bias[i];
  return y;
}

/** GPT-2's "gelu_new", the tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** Numerically stable softmax in float64: [N] -> [N]. */
export function softmax(x: ArrayLike<number>): Float64Array {
  const logp = logSoftmax(x);
  return logp.map(Math.exp);
}

/** log softmax in float64, x − max − log Σ exp(x − max): [N] -> [N]; finite wherever x is. */
export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - logZ;
  return out;
}

/** Conv1D, y = x @ W + b with W stored [In, Out]: [T, In] -> [T, Out]. */
function linear(x: Float32Array[], w: Float32Array, b: Float32Array): Float32Array[] {
  const Out = b.length;
  const In = w.length / Out;
  return x.map((row) => {
    if (row.length !== In) throw new Error(`linear: input width ${row.length}, weight expects ${In}`);
    const acc = Float64Array.from(b); // [Out]
    // i outer, o inner walks W row by row, which keeps a large [In, Out] matrix cache-friendly
    for (let i = 0; i < In; i++) {
      const xi = row[i];
      const base = i * Out;
      for (let o = 0; o < Out; o++) acc[o] += xi * w[base + o];
    }
    return Float32Array.from(acc);
  });
}

function add(a: Float32Array[], b: Float32Array[]): Float32Array[] {
  return a.map((row, t) => row.map((value, d) => value + b[t][d]));
}

/** Fetches a weight and checks its element count, so a wrongly shaped map fails loudly instead of reading garbage. */
function param(config: ReferenceConfig, weights: ReferenceWeights, name: string): Float32Array {
  const dims = referenceWeightShapes(config).get(name);
  if (!dims) throw new Error(`reference GPT-2 has no weight "${name}"`);
  const w = weights(name);
  const size = dims.reduce((n, d) => n * d, 1);
  if (w.length !== size) throw new Error(`weight "${name}" has ${w.length} values, expected [${dims.join(', ')}] = ${size}`);
  return w;
}

/** Every weight GPT2LMHeadModel reads, by Hub name, with its shape. */
export function referenceWeightShapes(config: ReferenceConfig): Map<string, number[]> {
  const { nLayer, nEmbd: D, nCtx: C, vocabSize: V } = config;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [V, D]],
    ['wpe.weight', [C, D]],
  ]);
  for (let l = 0; l < nLayer; l++) {
    const h = `h.${l}`;
    shapes.set(`${h}.ln_1.weight`, [D]).set(`${h}.ln_1.bias`, [D]);
    shapes.set(`${h}.attn.c_attn.weight`, [D, 3 * D]).set(`${h}.attn.c_attn.bias`, [3 * D]);
    shapes.set(`${h}.attn.c_proj.weight`, [D, D]).set(`${h}.attn.c_proj.bias`, [D]);
    shapes.set(`${h}.ln_2.weight`, [D]).set(`${h}.ln_2.bias`, [D]);
    shapes.set(`${h}.mlp.c_fc.weight`, [D, 4 * D]).set(`${h}.mlp.c_fc.bias`, [4 * D]);
    shapes.set(`${h}.mlp.c_proj.weight`, [4 * D, D]).set(`${h}.mlp.c_proj.bias`, [D]);
  }
  shapes.set('ln_f.weight', [D]).set('ln_f.bias', [D]);
  return shapes;
}

// ---------------------------------------------------------------------------------------------------------
// What the engine reduces the model to: the logit lens and the next-token predictions

/**
 * The logit lens: ln_f then the tied unembedding applied to every residual point, reduced per row in one pass
 * over the vocabulary. `resid` is `ReferenceRun.resid`, [P][T][D]; the result is [P][T].
 */
export function referenceLens(
  config: ReferenceConfig,
  weights: ReferenceWeights,
  resid: readonly (readonly Float32Array[])[],
  opts: ReferenceLensOptions,
): ReferenceLensCell[][] {
  const V = config.vocabSize;
  const k = Math.min(Math.max(0, Math.floor(opts.topK)), V);
  const target = opts.target;
  if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= V)) {
    throw new Error(`referenceLens: target ${target} outside 0 … ${V - 1}`);
  }
  const last = resid.length - 1;
  // log p_final and p_final per position, [T][V]: every point's KL is measured against them
  const finalLogp = resid[last].map((row) => logSoftmax(lmHead(config, weights, row)));
  const finalP = finalLogp.map((logp) => logp.map(Math.exp));

  return resid.map((point, p) =>
    point.map((row, t) => {
      const logp = p === last ? finalLogp[t] : logSoftmax(lmHead(config, weights, row)); // [V]
      const logpFinal = finalLogp[t];
      const pFinal = finalP[t];
      const top = new TopK(k);
      let entropy = 0;
      let kl = 0;
      let targetRank = 0;
      const targetLogp = target === undefined ? Infinity : logp[target]; // Infinity: nothing counts without a target
      for (let v = 0; v < V; v++) {
        const lp = logp[v];
        const prob = Math.exp(lp);
        entropy -= prob * lp;
        kl += pFinal[v] * (logpFinal[v] - lp);
        top.offer(v, lp);
        // comparing log-probabilities is comparing probabilities: exp is monotonic
        if (lp > targetLogp) targetRank++;
      }
      const cell = { topIds: top.ids, topProbs: top.values.map(Math.exp), entropy, kl };
      return target === undefined ? cell : { ...cell, targetProb: Math.exp(targetLogp), targetRank };
    }),
  );
}

/** Probability and rank of the token that actually comes next, from `ReferenceRun.logits` [T][V]. */
export function referenceNext(logits: readonly Float32Array[], ids: readonly number[]): ReferenceNext {
  const prob: number[] = [];
  const rank: number[] = [];
  for (let t = 0; t < logits.length; t++) {
    if (t + 1 >= ids.length) {
      prob.push(NaN);
      rank.push(-1);
      continue;
    }
    const logp = logSoftmax(logits[t]); // [V]
    const next = ids[t + 1];
    let greater = 0;
    for (let v = 0; v < logp.length; v++) if (logp[v] > logp[next]) greater++;
    prob.push(Math.exp(logp[next]));
    rank.push(greater);
  }
  return { prob, rank };
}

/** The k largest values seen, largest first; a value equal to one already kept goes after it, so lower ids win ties. */
class TopK {
  readonly ids: number[] = [];
  readonly values: number[] = [];
  constructor(private readonly k: number) {}

  offer(id: number, value: number): void {
    if (this.k === 0) return;
    const n = this.values.length;
    if (n === this.k && !(value > this.values[n - 1])) return;
    let at = n;
    while (at > 0 && value > this.values[at - 1]) at--;
    this.ids.splice(at, 0, id);
    this.values.splice(at, 0, value);
    if (this.values.length > this.k) {
      this.ids.pop();
      this.values.pop();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Random models for the reference's own tests

/** mulberry32: a small, well-mixed 32-bit PRNG, so test models are the same on every machine. Uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A standard normal sample by Box–Muller from a uniform source. */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1], so the log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Random but non-degenerate weights: matrices and embeddings N(0, 0.2²), so attention is neither uniform nor
 * one-hot and logits spread over a few units at small widths; layer-norm weights 1 + N(0, 0.1²), biases N(0, 0.1²).
 * Unknown names throw, which catches a misspelt weight in a test.
 */
export function randomWeights(config: ReferenceConfig, seed: number): ReferenceWeights {
  const random = seededRandom(seed);
  const map = new Map<string, Float32Array>();
  for (const [name, dims] of referenceWeightShapes(config)) {
    const size = dims.reduce((n, d) => n * d, 1);
    const isNormWeight = /ln_\w+\.weight$/.test(name);
    const std = dims.length === 2 ? 0.2 : 0.1;
    map.set(name, Float32Array.from({ length: size }, () => (isNormWeight ? 1 : 0) + std * gaussian(random)));
  }
  return (name) => {
    const w = map.get(name);
    if (!w) throw new Error(`randomWeights: no weight "${name}"`);
    return w;
  };
}
