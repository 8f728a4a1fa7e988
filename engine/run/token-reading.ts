// The first thing the panel paints: the model's own next-token distribution at every position, read from a
// plain forward's logits (no lens, no patterns) — a fifth of a full inspection's cost at 128 tokens. The full
// inspection that follows reports the same numbers at its last lens point (test/engine/token-reading.test.ts).

import type { TokenReading } from '../../protocol/inspection';
import type { Gpt2Session } from './gpt2-session';
import { KvCache } from './kv-cache';

/** What a row of logits says: its top-k, entropy, and the rank and probability of the token that came next. */
export interface NextTokenStats {
  /** [position, k] */
  readonly topIds: Int32Array;
  /** [position, k] */
  readonly topProbs: Float32Array;
  /** [position], nats */
  readonly entropy: Float32Array;
  /** [position]; NaN at the last position */
  readonly nextProb: Float32Array;
  /** [position]; 0 = the top-1, -1 at the last position */
  readonly nextRank: Int32Array;
}

/** Reads `logits` ([position, vocab]) of a text whose token ids are `ids`: softmax, top-k, entropy, next token. */
export function nextTokenStats(logits: Float32Array, ids: readonly number[], vocab: number, k: number): NextTokenStats {
  const stats = emptyStats(ids.length, k);
  readRows(logits, ids, vocab, k, 0, stats);
  return stats;
}

function emptyStats(n: number, k: number): NextTokenStats {
  return {
    topIds: new Int32Array(n * k),
    topProbs: new Float32Array(n * k),
    entropy: new Float32Array(n),
    nextProb: new Float32Array(n).fill(Number.NaN),
    nextRank: new Int32Array(n).fill(-1),
  };
}

/** Fills `stats` at positions `from` … from the rows of `logits`, which start at position `from`. */
function readRows(logits: Float32Array, ids: readonly number[], vocab: number, k: number, from: number, stats: NextTokenStats): void {
  const n = ids.length;
  for (let t = from; t < n; t++) {
    const row = logits.subarray((t - from) * vocab, (t - from + 1) * vocab);
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (row[v] > max) max = row[v];
    // Entropy from the logits: H = log Z − Σ p·(x − max), with Z = Σ exp(x − max).
    let z = 0;
    let weighted = 0;
    for (let v = 0; v < vocab; v++) {
      const e = Math.exp(row[v] - max);
      z += e;
      weighted += e * (row[v] - max);
    }
    stats.entropy[t] = Math.log(z) - weighted / z;
    topK(row, k, stats.topIds.subarray(t * k, (t + 1) * k));
    for (let i = 0; i < k; i++) stats.topProbs[t * k + i] = Math.exp(row[stats.topIds[t * k + i]] - max) / z;
    if (t + 1 < n) {
      const next = row[ids[t + 1]];
      stats.nextProb[t] = Math.exp(next - max) / z;
      // Rank as the lens graph counts it: how many tokens score strictly higher.
      let above = 0;
      for (let v = 0; v < vocab; v++) if (row[v] > next) above++;
      stats.nextRank[t] = above;
    }
  }
}

/** Continuing from fewer shared positions than this saves less than keeping the cache costs. */
const MIN_REUSED_POSITIONS = 8;

/**
 * Reads texts one after another through a plain forward, running only the positions from where a text
 * departs from the last one read (its keys and values kept, as a generation keeps its prompt's): typing at the
 * end of the view an overlay reads costs a token or two, not the whole view.
 */
export class TokenReader {
  private readonly cache: KvCache;
  private last: { readonly stats: NextTokenStats; readonly k: number } | null = null;
  /** Leading positions the last read took from the one before instead of running them (0 = a full run). */
  reused = 0;

  constructor(
    private readonly session: Gpt2Session,
    private readonly vocab: number,
  ) {
    this.cache = new KvCache(session.shape);
  }

  /** The statistics of `ids` (and in `reused`, how many leading positions came from the last read). */
  async read(ids: readonly number[], k: number): Promise<NextTokenStats> {
    const last = this.last;
    this.last = null; // a failed run leaves the cache in no known state
    // Position s − 1's statistics name the token at s, so a text that departs at s runs again from s − 1.
    const shared = last && last.k === k ? this.cache.sharedPrefix(ids, 1) : 0;
    const from = shared - 1 >= MIN_REUSED_POSITIONS ? shared - 1 : 0;
    this.cache.truncate(from);
    const outputs = await this.session.run(ids.slice(from), this.cache, { logits: 'all' });
    const stats = emptyStats(ids.length, k);
    if (last && from > 0) {
      stats.topIds.set(last.stats.topIds.subarray(0, from * k));
      stats.topProbs.set(last.stats.topProbs.subarray(0, from * k));
      stats.entropy.set(last.stats.entropy.subarray(0, from));
      stats.nextProb.set(last.stats.nextProb.subarray(0, from));
      stats.nextRank.set(last.stats.nextRank.subarray(0, from));
    }
    readRows(outputs.logits.data as Float32Array, ids, this.vocab, k, from, stats);
    this.last = { stats, k };
    this.reused = from;
    return stats;
  }
}

/** The ids of `row`'s k largest values into `out`, largest first (ties: the lower id first). */
function topK(row: Float32Array, k: number, out: Int32Array): void {
  let filled = 0;
  for (let v = 0; v < row.length; v++) {
    const x = row[v];
    if (filled === k && x <= row[out[k - 1]]) continue;
    let i = filled < k ? filled++ : k - 1;
    while (i > 0 && row[out[i - 1]] < x) {
      out[i] = out[i - 1];
      i--;
    }
    out[i] = v;
  }
}

/** A TokenReading from its parts, ready for the protocol. */
export function tokenReading(base: Pick<TokenReading, 'model' | 'backend' | 'tokens' | 'pieces'>, stats: NextTokenStats, k: number): TokenReading {
  const n = base.tokens.length;
  return {
    ...base,
    next: { prob: { dims: [n], data: stats.nextProb }, rank: { dims: [n], data: stats.nextRank } },
    top: { ids: { dims: [n, k], data: stats.topIds }, probs: { dims: [n, k], data: stats.topProbs } },
    entropy: { dims: [n], data: stats.entropy },
  };
}
