// A plausible synthetic inspection for the panel's tests and its dev preview: a real sentence with real GPT-2
// token ids, a logit lens that sharpens with depth the way GPT-2's does (early points echo the input token,
// the last point is the model's output), and attention heads of the kinds people find in real models. Its
// "’" is two tokens that each hold part of the character, as GPT-2 splits it, so every view meets one.
// Deterministic (seeded) and free of node imports, so the browser preview can bundle it too.

import type { InspectionShowPayload } from '../../protocol/panel-messages';
import type { Attention, Inspection, LensTarget, LogitLens, Token, TokenReading } from '../../protocol/inspection';
import type { AttributionComponent, AttributionReport, PatchHook, PatchReport } from '../../protocol/interventions';
import type { HeadCatalogue } from '../../protocol/head-scores';
import type { HeadWrites, ScoredToken } from '../../protocol/head-writes';
import { patternRow } from '../../protocol/inspection';
import type { RouteImportances } from '../../protocol/routes';
import type { Float32Tensor } from '../../protocol/tensor';
import type { TokenPiece } from '../../protocol/token-piece';
import { tokenSpans } from '../../engine/run/token-offsets';
import { SeededRandom } from '../../engine/models/seeded-random';

export const fixtureText = 'The quick brown fox jumps over the lazy dog because it was tired.\n\tIt’s asleep all day';

/** Pieces by id, as an inspection carries them. */
export function piecesOf(pieces: readonly TokenPiece[]): Record<number, TokenPiece> {
  return Object.fromEntries(pieces.map((piece) => [piece.id, piece]));
}

// GPT-2 ids of the sentence, as the real tokenizer splits it: "’" (E2 80 99) is 447 (E2 80) and 247 (99).
const sentence: readonly TokenPiece[] = [
  ...pieces([464, 'The'], [2068, ' quick'], [7586, ' brown'], [21831, ' fox'], [18045, ' jumps'], [625, ' over'],
    [262, ' the'], [16931, ' lazy'], [3290, ' dog'], [780, ' because'], [340, ' it'], [373, ' was'],
    [10032, ' tired'], [13, '.'], [198, '\n'], [197, '\t'], [1026, 'It']),
  { id: 447, text: '\ufffd', bytes: [0xe2, 0x80] },
  { id: 247, text: '\ufffd', bytes: [0x99] },
  ...pieces([82, 's'], [16039, ' asleep'], [477, ' all'], [1110, ' day']),
];

function pieces(...entries: (readonly [number, string])[]): TokenPiece[] {
  return entries.map(([id, text]) => ({ id, text }));
}

// Other real GPT-2 tokens the predictions draw from.
const pool: readonly TokenPiece[] = pieces(
  [262, ' the'], [257, ' a'], [290, ' and'], [286, ' of'], [284, ' to'], [11, ','], [287, ' in'], [318, ' is'],
  [373, ' was'], [340, ' it'], [326, ' that'], [3290, ' dog'], [3797, ' cat'], [21831, ' fox'], [625, ' over'],
  [739, ' under'], [832, ' through'], [1088, ' around'], [11687, ' jumped'], [4966, ' ran'], [2952, ' quickly'],
  [6364, ' slowly'], [845, ' very'], [10032, ' tired'], [14720, ' hungry'], [11029, ' sleeping'], [1110, ' day'],
  [1755, ' night'], [640, ' time'], [13, '.'], [780, ' because'], [475, ' but'], [523, ' so'], [618, ' when'],
  [198, '\n'], [383, ' The'], [679, ' He'], [1375, ' She'], [1119, ' They'], [663, ' its'], [465, ' his'],
  [2491, ' running'], [6155, ' walking'], [477, ' all'], [790, ' every'], [16931, ' lazy'], [7586, ' brown'],
  [2266, ' red'], [1263, ' big'], [1402, ' small'], [1468, ' old'], [6844, ' dogs'], [422, ' from'],
  [656, ' into'], [329, ' for'], [319, ' on'], [351, ' with'], [379, ' at'], [21256, ' slept'], [632, ' It'],
  [16039, ' asleep'], [13990, ' fence'], [12788, ' hill'], [3329, ' morning'], [890, ' long'], [1497, ' away'],
  [866, ' down'], [510, ' up'], [736, ' back'], [2042, ' black'], [2330, ' white'], [582, ' man'], [3049, ' fast'],
);

// Rank of the true next token in the final distribution after each position (−1 for the last), chosen to
// look like GPT-2 small on this sentence: idioms and the rest of a split character are easy, the start and the
// line break are not.
const nextRanks = [37, 0, 0, 1, 0, 0, 0, 0, 5, 0, 0, 3, 1, 0, 14, 2, 2, 0, 0, 7, 4, 0, -1];

export interface FixtureOptions {
  readonly layers?: number;
  readonly heads?: number;
  readonly k?: number;
  /** Repeat the sentence until there are this many tokens (for performance checks); default one sentence. */
  readonly tokens?: number;
  readonly seed?: number;
}

const vocabSize = 50257;

/** The sentence repeated to `count` tokens, with the UTF-16 range each covers (both pieces of "’" cover it). */
function fixtureTokens(count: number): Token[] {
  // Whole sentences, so that the text ends between characters whichever token `count` ends on.
  const pieces = Array.from({ length: Math.ceil(count / sentence.length) * sentence.length }, (_, i) => sentence[i % sentence.length]);
  const bytes = pieces.map((p) => p.bytes ?? Array.from(new TextEncoder().encode(p.text)));
  const spans = tokenSpans(fixtureText.repeat(pieces.length / sentence.length), bytes.map((b) => b.length));
  return pieces.slice(0, count).map((piece, i) => ({ ...piece, ...spans[i] }));
}

/** Descending probabilities for k slots with top-1 `p1` and geometric decay, summing below 1. */
function descending(p1: number, decay: number, k: number): number[] {
  const probs = Array.from({ length: k }, (_, j) => p1 * decay ** j);
  const total = probs.reduce((a, b) => a + b, 0);
  const cap = 0.97;
  return total > cap ? probs.map((p) => (p * cap) / total) : probs;
}

function entropyWithUniformTail(probs: readonly number[]): number {
  const tail = Math.max(1 - probs.reduce((a, b) => a + b, 0), 1e-9);
  const h = probs.reduce((acc, p) => acc - (p > 0 ? p * Math.log(p) : 0), 0);
  return h - tail * Math.log(tail / (vocabSize - probs.length));
}

/** KL(final || lens) with both tails taken as uniform over the tokens outside the top-k. */
function klWithUniformTails(finalIds: number[], finalProbs: number[], ids: number[], probs: number[]): number {
  const tailF = Math.max(1 - finalProbs.reduce((a, b) => a + b, 0), 1e-9);
  const tailQ = Math.max(1 - probs.reduce((a, b) => a + b, 0), 1e-9);
  let kl = 0;
  finalIds.forEach((id, j) => {
    const i = ids.indexOf(id);
    const q = i >= 0 ? probs[i] : tailQ / (vocabSize - probs.length);
    kl += finalProbs[j] * Math.log(finalProbs[j] / q);
  });
  kl += tailF * Math.log(tailF / tailQ);
  return Math.max(kl, 0);
}

function pick(rng: () => number, avoid: Set<number>): number {
  for (;;) {
    const { id } = pool[Math.floor(rng() * pool.length)];
    if (!avoid.has(id)) return id;
  }
}

export function fixtureInspection(options: FixtureOptions = {}): Inspection {
  const layers = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const k = options.k ?? 10;
  const random = new SeededRandom(options.seed ?? 7);
  const rng = (): number => random.next();
  const tokens = fixtureTokens(options.tokens ?? sentence.length);
  const n = tokens.length;
  const points = layers + 1;

  const topIds = new Int32Array(points * n * k); // [point, position, k]
  const topProbs = new Float32Array(points * n * k); // [point, position, k]
  const entropy = new Float32Array(points * n); // [point, position]
  const kl = new Float32Array(points * n); // [point, position]
  const nextProb = new Float32Array(n); // [position]
  const nextRank = new Int32Array(n); // [position]

  for (let t = 0; t < n; t++) {
    const nextId = t + 1 < n ? tokens[t + 1].id : -1;
    const rank = t + 1 < n ? nextRanks[t % sentence.length] : -1;
    const designed = rank >= 0 ? rank : nextRanks[t % sentence.length];
    // Final distribution: confident where the true token ranks first, flatter where it does not.
    const p1 = designed === 0 ? 0.35 + 0.55 * rng() : 0.12 + 0.3 * rng();
    const finalProbs = descending(p1, 0.45 + 0.35 * rng(), k);
    const finalIds: number[] = [];
    const used = new Set<number>(nextId >= 0 && rank >= k ? [nextId] : []);
    for (let j = 0; j < k; j++) {
      const id = j === rank ? nextId : pick(rng, new Set([...used, nextId]));
      finalIds.push(id);
      used.add(id);
    }
    if (nextId >= 0) {
      nextRank[t] = rank;
      nextProb[t] = rank < k ? finalProbs[rank] : finalProbs[k - 1] * (0.02 + 0.2 * rng());
    } else {
      nextRank[t] = -1;
      nextProb[t] = Number.NaN;
    }

    for (let p = 0; p < points; p++) {
      const depth = p / (points - 1); // 0 at the embedding, 1 at the output
      let ids: number[];
      let probs: number[];
      if (p === points - 1) {
        ids = finalIds;
        probs = finalProbs;
      } else {
        // Early points echo the current input token; later ones drift toward the final top-k.
        const echo = tokens[t].id;
        const taken = new Set<number>();
        ids = [];
        for (let j = 0; j < k; j++) {
          let id: number;
          if (j === 0 && p === 0) id = echo;
          else if (rng() < depth * 0.9 && !taken.has(finalIds[j])) id = finalIds[j];
          else id = pick(rng, taken);
          if (taken.has(id)) id = pick(rng, taken);
          ids.push(id);
          taken.add(id);
        }
        probs = descending(0.04 + (p1 - 0.04) * depth ** 1.5 + 0.08 * rng(), 0.7 + 0.2 * (1 - depth), k);
      }
      const cell = p * n + t;
      ids.forEach((id, j) => {
        topIds[cell * k + j] = id;
        topProbs[cell * k + j] = probs[j];
      });
      entropy[cell] = entropyWithUniformTail(probs);
      kl[cell] = p === points - 1 ? 0 : klWithUniformTails(finalIds, finalProbs, ids, probs);
    }
  }


  return {
    model: { name: 'gpt2 (fixture)', nLayer: layers, nHead: heads, nEmbd: 64 * heads, nCtx: 1024, vocabSize },
    backend: 'cpu',
    tokens,
    pieces: piecesOf([...pool, ...sentence]),
    next: { prob: { dims: [n], data: nextProb }, rank: { dims: [n], data: nextRank } },
    lens: {
      hooks: residHooks(layers),
      topIds: { dims: [points, n, k], data: topIds },
      topProbs: { dims: [points, n, k], data: topProbs },
      entropy: { dims: [points, n], data: entropy },
      kl: { dims: [points, n], data: kl },
      target: null,
    },
    attention: fixtureAttention(fixturePatterns(tokens, layers, heads, rng), n),
  };
}

function residHooks(layers: number): string[] {
  const names = Array.from({ length: layers }, (_, l) => `blocks.${l}.hook_resid_pre`);
  names.push(`blocks.${layers - 1}.hook_resid_post`);
  return names;
}

// Score functions of recognisable head types; each row is a causal softmax of these scores.
type HeadKind = (q: number, key: number, tokens: readonly Token[], noise: number) => number;
const headKinds: readonly HeadKind[] = [
  (q, key) => (key === q - 1 ? 4 : 0), // previous token
  (_q, key) => (key === 0 ? 3.5 : 0), // first token as a sink
  (q, key) => -Math.abs(q - key) / 2.5, // local window
  (q, key, tokens) => (/^[.,\n\t]/.test(tokens[key].text) ? 3 : key === q ? 1.5 : 0), // punctuation
  (q, key, tokens) => (key > 0 && tokens[key - 1].id === tokens[q].id && key <= q ? 5 : key === 0 ? 1 : 0), // induction
  (q, key) => (key === q ? 3 : 0), // self
  (_q, _key, _t, noise) => noise * 3, // diffuse
];

function fixturePatterns(tokens: readonly Token[], layers: number, heads: number, rng: () => number): Float32Tensor[] {
  const n = tokens.length;
  const length = (n * (n + 1)) / 2;
  return Array.from({ length: layers }, (_, l) => {
    const data = new Float32Array(heads * length); // [head, packed causal rows]
    for (let h = 0; h < heads; h++) {
      const kind = headKinds[(l * heads + h) % headKinds.length];
      for (let q = 0; q < n; q++) {
        const row = h * length + (q * (q + 1)) / 2;
        let total = 0;
        for (let key = 0; key <= q; key++) {
          const w = Math.exp(kind(q, key, tokens, rng()) + 0.3 * rng());
          data[row + key] = w;
          total += w;
        }
        for (let key = 0; key <= q; key++) data[row + key] /= total;
      }
    }
    return { dims: [heads, length], data };
  });
}

/**
 * An Attention carrying every layer's packed patterns ([head, n·(n+1)/2]) and the thumbnails the engine would
 * send with them: each head, then the mean over heads, max-pooled in blocks of ⌈n / 64⌉ tokens.
 */
export function fixtureAttention(patterns: readonly Float32Tensor[], n: number): Attention {
  const block = Math.ceil(n / 64);
  const tiles = Math.ceil(n / block);
  const thumbnails = patterns.map((layer): Float32Tensor => {
    const heads = layer.dims[0];
    const data = new Float32Array((heads + 1) * tiles * tiles);
    const weight = (h: number, q: number, key: number) => (key <= q ? layer.data[h * layer.dims[1] + (q * (q + 1)) / 2 + key] : 0);
    for (let h = 0; h <= heads; h++) {
      for (let q = 0; q < n; q++) {
        for (let key = 0; key < n; key++) {
          let w = 0;
          if (h < heads) w = weight(h, q, key);
          else for (let i = 0; i < heads; i++) w += weight(i, q, key) / heads;
          const at = (h * tiles + Math.floor(q / block)) * tiles + Math.floor(key / block);
          data[at] = Math.max(data[at], w);
        }
      }
    }
    return { dims: [heads + 1, tiles, tiles], data };
  });
  return { hooks: patterns.map((_, l) => `blocks.${l}.attn.hook_pattern`), thumbnails, patterns };
}

/** What the host would answer to `lens/target` for `id` on this fixture. */
export function fixtureLensTarget(inspection: Inspection, id: number): LensTarget {
  const [points, n, k] = inspection.lens.topIds.dims;
  const prob = new Float32Array(points * n); // [point, position]
  const rank = new Int32Array(points * n); // [point, position]
  for (let cell = 0; cell < points * n; cell++) {
    const ids = inspection.lens.topIds.data.subarray(cell * k, cell * k + k);
    const j = ids.indexOf(id);
    const last = inspection.lens.topProbs.data[cell * k + k - 1];
    prob[cell] = j >= 0 ? inspection.lens.topProbs.data[cell * k + j] : last * (0.05 + 0.5 * ((cell * 7919) % 13) / 13);
    rank[cell] = j >= 0 ? j : k + ((cell * 104729) % 400);
  }
  return { id, prob: { dims: [points, n], data: prob }, rank: { dims: [points, n], data: rank } };
}

/** What the engine's readTokens would send first for `inspection`: its last lens point, the model's own distribution. */
export function fixtureReading(inspection: Inspection): TokenReading {
  const [points, n, k] = inspection.lens.topIds.dims;
  const at = (points - 1) * n;
  return {
    model: inspection.model,
    backend: inspection.backend,
    tokens: inspection.tokens,
    pieces: inspection.pieces,
    next: inspection.next,
    top: {
      ids: { dims: [n, k], data: inspection.lens.topIds.data.slice(at * k, (at + n) * k) },
      probs: { dims: [n, k], data: inspection.lens.topProbs.data.slice(at * k, (at + n) * k) },
    },
    entropy: { dims: [n], data: inspection.lens.entropy.data.slice(at, at + n) },
  };
}

export function fixtureShow(options: FixtureOptions & { randomWeights?: boolean; droppedTokens?: number } = {}): InspectionShowPayload {
  return {
    inspection: fixtureInspection(options),
    source: {
      uri: 'file:///home/user/notes/fox.md',
      windowed: options.droppedTokens ? { droppedTokens: options.droppedTokens } : null,
      randomWeights: options.randomWeights ?? false,
    },
  };
}

/**
 * A plausible attribution of the fixture's prediction for the Why tab: every component the engine reports,
 * in its order, with seeded values (later layers and the MLPs weigh more), and `logitDiff` their sum.
 */
export function fixtureAttribution(inspection: Inspection, question: { position: number; targetId: number; versusId: number | null }): AttributionReport {
  const { nLayer, nHead } = inspection.model;
  const random = new SeededRandom(question.position * 7919 + question.targetId);
  // Seeded by the text: a pinned counterfactual's later layers read its changed token, so their shares differ.
  const text = new SeededRandom(inspection.tokens.reduce((sum, t) => sum + t.id, 0));
  const late = (l: number): number => (l >= nLayer / 2 ? 0.6 * text.normal() : 0);
  const components: AttributionComponent[] = [
    { hook: 'hook_embed', value: 0.4 * random.normal() },
    { hook: 'hook_pos_embed', value: 0.1 * random.normal() },
  ];
  for (let l = 0; l < nLayer; l++) {
    for (let h = 0; h < nHead; h++) components.push({ hook: `blocks.${l}.attn.hook_result`, head: h, value: (0.3 + l / nLayer) * random.normal() + (h % 3 === 0 ? late(l) : 0) });
    components.push({ hook: `blocks.${l}.attn.b_O`, value: 0.05 * random.normal() });
    components.push({ hook: `blocks.${l}.hook_mlp_out`, value: (0.5 + l / nLayer) * random.normal() + late(l) });
  }
  components.push({ hook: 'ln_final.b', value: 0.02 });
  const neurons = Array.from({ length: nLayer }, (_, layer) => ({
    layer,
    bias: 0.01 * random.normal(),
    top: Array.from({ length: 3 }, (_, i) => ({ neuron: 100 * layer + 17 * i, activation: Math.abs(random.normal()), value: (0.3 - 0.1 * i) * random.normal() })),
  }));
  return { ...question, logitDiff: components.reduce((s, c) => s + c.value, 0), components, neurons };
}

/** A head catalogue with the kinds of heads GPT-2 has: previous-token heads early, induction heads later. */
export function fixtureHeadCatalogue(nLayer: number, nHead: number): HeadCatalogue {
  const random = new SeededRandom(42);
  const grid = (strong: (l: number, h: number) => boolean) =>
    Array.from({ length: nLayer }, (_, l) => Array.from({ length: nHead }, (_, h) => (strong(l, h) ? 0.6 + 0.3 * random.next() : 0.15 * random.next())));
  return {
    scores: {
      previousToken: grid((l, h) => l <= 1 && h % 3 === 0),
      firstToken: grid((_, h) => h % 4 === 1),
      duplicateToken: grid((l, h) => l === 2 && h === 2),
      induction: grid((l, h) => l >= Math.floor(nLayer / 2) && h === nHead - 1),
    },
    repeatLength: 50,
    probes: 4,
  };
}

/**
 * What a head writes, as the preview's answer to `heads/writes`: the sources are the five keys its pattern (when
 * the inspection carries the layer's) weighs most from the position; the tokens come from the fixture's pool,
 * one of them the lone byte 0xE2 so the card's byte label shows.
 */
export function fixtureHeadWrites(inspection: Inspection, question: { position: number; layer: number; head: number }): HeadWrites {
  const { position, layer, head } = question;
  const random = new SeededRandom(1000 * layer + 10 * head + position);
  const pattern = inspection.attention.patterns[layer];
  const row = pattern ? patternRow(pattern, head, position) : Float32Array.from({ length: position + 1 }, () => random.next());
  const keys = Array.from(row.subarray(0, position + 1), (attention, p) => ({ position: p, attention })).sort((a, b) => b.attention - a.attention).slice(0, 5);
  // Distinct tokens a list, as the engine's top-k are.
  const tokens = (count: number, sign: number): ScoredToken[] => {
    const start = Math.floor(random.next() * pool.length);
    return Array.from({ length: count }, (_, i) => {
      return { ...pool[(start + 7 * i) % pool.length], value: sign * (6 - i - random.next()) };
    });
  };
  const byte: ScoredToken = { id: 158, text: '\ufffd', bytes: [0xe2], value: 0.5 };
  return {
    layer,
    head,
    position,
    sources: keys.map((k, i) => {
      const { start, end, ...token } = inspection.tokens[k.position];
      return { ...k, token, top: i === 1 ? [...tokens(4, 1), byte] : tokens(5, 1) };
    }),
    promoted: tokens(5, 1),
    suppressed: tokens(5, -1),
  };
}

/** The lens with each cell's top-k probabilities scaled by `factor(point, position)`, capped so that none passes 1. */
function scaledLens(lens: LogitLens, factor: (point: number, position: number) => number): LogitLens {
  const [points, n, k] = lens.topProbs.dims;
  const probs = Float32Array.from(lens.topProbs.data); // [point, position, k]
  for (let p = 0; p < points; p++) {
    for (let q = 0; q < n; q++) {
      const at = (p * n + q) * k;
      const f = Math.min(factor(p, q), 1 / probs[at]);
      for (let j = 0; j < k; j++) probs[at + j] *= f;
    }
  }
  return { ...lens, topProbs: { ...lens.topProbs, data: probs } };
}

/**
 * The fixture as an ablated model might read it, for the preview's answer to `ablation/set`: each token's
 * probability moved by a seeded factor (more ablated units, larger moves), its rank with it, the top two
 * final guesses swapped where the guess got much less likely, and the lens's middle points moved likewise.
 */
export function fixtureAblated(inspection: Inspection, units: number): Inspection {
  const random = new SeededRandom(units);
  const n = inspection.tokens.length;
  const prob = Float32Array.from(inspection.next.prob.data, (p) => (Number.isNaN(p) ? p : Math.min(1, p * 2 ** (units * (random.next() * 2.5 - 2)))));
  const rank = Int32Array.from(inspection.next.rank.data, (r, j) => (r < 0 ? r : Math.max(0, Math.round(r + Math.log2(inspection.next.prob.data[j] / prob[j])))));
  const topIds = Int32Array.from(inspection.lens.topIds.data);
  const topProbs = Float32Array.from(inspection.lens.topProbs.data);
  const [points, , k] = inspection.lens.topIds.dims;
  for (let q = 0; q < n; q++) {
    if (!(prob[q] < inspection.next.prob.data[q] / 4)) continue;
    const at = ((points - 1) * n + q) * k;
    [topIds[at], topIds[at + 1]] = [topIds[at + 1], topIds[at]];
    [topProbs[at], topProbs[at + 1]] = [topProbs[at + 1], topProbs[at]];
  }
  const moved = scaledLens(inspection.lens, (p) => (p === 0 || p === points - 1 ? 1 : 2 ** (units * (random.next() * 2 - 1.2))));
  for (let p = 1; p < points - 1; p++) topProbs.set(moved.topProbs.data.subarray(p * n * k, (p + 1) * n * k), p * n * k);
  return {
    ...inspection,
    next: { prob: { dims: [n], data: prob }, rank: { dims: [n], data: rank } },
    lens: { ...inspection.lens, topIds: { ...inspection.lens.topIds, data: topIds }, topProbs: { ...inspection.lens.topProbs, data: topProbs } },
  };
}

/**
 * The fixture with token 3 changed to " cat": a counterfactual of as many tokens, for the Compare tab. Its lens
 * guesses the same tokens; from position 3 on, which reads " cat", with seeded probabilities (position 2 predicts
 * " cat" rather than " fox", and is as sure of it).
 */
export function fixtureCounterfactual(inspection: Inspection): Inspection {
  const random = new SeededRandom(3797);
  const n = inspection.tokens.length;
  const factor = (q: number) => (q < 3 ? 1 : 2 ** (random.next() * 3 - 1.5));
  const prob = Float32Array.from(inspection.next.prob.data, (p, q) => Math.min(1, p * factor(q)));
  return {
    ...inspection,
    tokens: inspection.tokens.map((t, i) => (i === 3 ? { ...t, id: 3797, text: ' cat' } : t)),
    pieces: { ...inspection.pieces, 3797: { id: 3797, text: ' cat' } },
    next: { ...inspection.next, prob: { dims: [n], data: prob } },
    lens: scaledLens(inspection.lens, (_, q) => factor(q)),
  };
}

/**
 * A plausible patching sweep: the effect sits at the changed position in early layers and moves to the last
 * position in later ones (as information about a changed token does), seeded noise elsewhere.
 */
export function fixturePatchReport(inspection: Inspection, question: { hook: PatchHook; targetId: number; versusId: number | null }): PatchReport {
  const random = new SeededRandom(7);
  const { nLayer, nHead } = inspection.model;
  const n = inspection.tokens.length;
  const clean = 2.5;
  const corrupt = -0.5;
  const effect = (l: number, i: number): number =>
    question.hook === 'attn.hook_z'
      ? (i === nHead - 1 && l === nLayer - 1 ? 0.7 : 0.05 * random.normal())
      : i === 3 && l < nLayer / 2 + 1 ? 1 - l / (2 * nLayer) : i === n - 1 && l >= nLayer / 2 ? 0.4 + l / (2 * nLayer) : 0.03 * random.normal();
  const results = Array.from({ length: nLayer }, (_, l) => Array.from({ length: question.hook === 'attn.hook_z' ? nHead : n }, (_, i) => corrupt + effect(l, i) * (clean - corrupt)));
  return { ...question, clean, corrupt, results };
}

/**
 * Plausible route importances: each position's residual mostly carried on, a share read from the previous
 * token (more in early layers) and the first, MLPs weighing more in later layers; every block's parts sum to 1.
 */
export function fixtureRoutes(inspection: Inspection): RouteImportances {
  const random = new SeededRandom(11);
  const { nLayer } = inspection.model;
  const n = inspection.tokens.length;
  const attention: number[][][] = [];
  const attentionResidual: number[][] = [];
  const mlp: number[][] = [];
  const mlpResidual: number[][] = [];
  for (let l = 0; l < nLayer; l++) {
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: i + 1 }, (_, j) => (j === i - 1 ? 0.5 - 0.3 * (l / nLayer) : j === 0 ? 0.15 : 0.02 * random.next())));
    attention.push(rows.map((r) => r.map((w) => w / (1 + r.reduce((a, b) => a + b, 0)))));
    attentionResidual.push(rows.map((r) => 1 / (1 + r.reduce((a, b) => a + b, 0))));
    const m = Array.from({ length: n }, () => 0.1 + 0.4 * (l / nLayer) + 0.1 * random.next());
    mlp.push(m);
    mlpResidual.push(m.map((x) => 1 - x));
  }
  return { attention, attentionResidual, mlp, mlpResidual };
}
