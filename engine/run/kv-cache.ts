// Keys and values of the tokens a model has read, kept by the engine between runs so the next run reads
// only the new tokens.
//
// Each layer's keys (and values) live in one buffer laid out as the graph's `past_key_values` input,
// [head, slot, head_dim], with room to grow. A decoding step feeds the whole buffer, free slots included,
// and masks the free slots out through the attention mask; it writes only the step's own keys and values
// into the next free slot. Nothing is copied per step, where fetching `present.*` made onnxruntime-node
// copy the whole cache into new buffers every token. Forgetting a suffix (the prompt changed there) is
// just a shorter length.
//
// An inspection's cache also keeps the queries: with the keys they rebuild any layer's attention pattern on
// request (attention-patterns.ts), so the patterns need not come out of the model run.

/**
 * Slots are added this many at a time: a growth copy every so many tokens, and at most this many masked
 * slots, which every step still attends over and copies (its Concat). 128 decoded 20% slower than 32 at
 * short contexts.
 */
const GROWTH = 32;

export interface KvShape {
  readonly nLayer: number;
  readonly nHead: number;
  readonly headDim: number;
  /** The model's context: the cache never holds more. */
  readonly nCtx: number;
}

/** One layer's new keys, values or queries as the graph returns them: [batch = 1, head, position, head_dim]. */
export interface NewEntries {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface PastFeed {
  /** Per layer, [1, head, slots, head_dim]. */
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
  readonly slots: number;
  /** 1 for each slot holding a token, 0 for a free slot: the attention mask's first `slots` entries. */
  readonly used: (slot: number) => boolean;
}

export class KvCache {
  private keys: Float32Array[] = [];
  private values: Float32Array[] = [];
  private queries: Float32Array[] = [];
  private capacity = 0;
  private readonly tokenIds: number[] = [];

  /** `keepsQueries`: also hold each run's queries (an inspection's cache; generation needs none). */
  constructor(
    readonly shape: KvShape,
    readonly keepsQueries = false,
  ) {}

  /** Token ids whose keys and values are held, in order. */
  get ids(): readonly number[] {
    return this.tokenIds;
  }

  get length(): number {
    return this.tokenIds.length;
  }

  /** How many leading tokens of `ids` the cache holds, keeping at least `leave` of them to run again. */
  sharedPrefix(ids: readonly number[], leave = 0): number {
    let shared = 0;
    const limit = Math.min(this.length, ids.length - leave);
    while (shared < limit && this.tokenIds[shared] === ids[shared]) shared++;
    return shared;
  }

  /**
   * Keeps the first `length` tokens. The buffers shrink when far larger than that: every step copies all
   * slots inside the graph (its Concat), so a short prompt after a long one decoded 15% slower on them.
   */
  truncate(length: number): void {
    this.tokenIds.length = Math.min(length, this.tokenIds.length);
    if (this.capacity - this.length > 2 * GROWTH) this.resize(this.slotsFor(this.length + 1));
  }

  /**
   * The past for a run: every slot, free ones included (a decoding step: no copy), or `exact`, only the held
   * tokens, copied (an inspection, whose attention patterns must have one column per token).
   */
  past(exact: boolean): PastFeed {
    if (!exact && this.capacity > 0) {
      const length = this.length;
      return { keys: this.keys, values: this.values, slots: this.capacity, used: (slot) => slot < length };
    }
    const held = (buffers: readonly Float32Array[]) => Array.from({ length: this.shape.nLayer }, (_, l) => (this.length ? this.held(buffers, [l]) : new Float32Array(0)));
    return { keys: held(this.keys), values: held(this.values), slots: this.length, used: () => true };
  }

  /**
   * Records a run's tokens and the keys and values (and queries, when kept) the graph returned for them, one
   * entry per layer.
   */
  append(ids: readonly number[], keys: readonly NewEntries[], values: readonly NewEntries[], queries: readonly NewEntries[] = []): void {
    const { nLayer } = this.shape;
    if (this.keepsQueries && queries.length !== nLayer) throw new Error(`this cache keeps queries: expected ${nLayer} layers of them, got ${queries.length}`);
    const n = ids.length;
    const start = this.length;
    this.reserve(start + n);
    for (let l = 0; l < nLayer; l++) {
      const pairs = [
        [keys[l], this.keys[l]],
        [values[l], this.values[l]],
        ...(this.keepsQueries ? [[queries[l], this.queries[l]] as const] : []),
      ] as const;
      for (const [from, to] of pairs) {
        if (from.dims[2] !== n) throw new Error(`the graph returned ${from.dims[2]} positions for ${n} tokens`);
        this.copySlots(from.data, n, to, this.capacity, n, start);
      }
    }
    this.tokenIds.push(...ids);
  }

  /** Keys of the held tokens in these layers, [layer, head, length, head_dim] (a copy). */
  heldKeys(layers: readonly number[]): Float32Array {
    return this.held(this.keys, layers);
  }

  /** Queries of the held tokens in these layers, [layer, head, length, head_dim] (a copy); only when kept. */
  heldQueries(layers: readonly number[]): Float32Array {
    if (!this.keepsQueries) throw new Error('this cache does not keep queries');
    return this.held(this.queries, layers);
  }

  private held(buffers: readonly Float32Array[], layers: readonly number[]): Float32Array {
    const size = this.shape.nHead * this.length * this.shape.headDim;
    const out = new Float32Array(layers.length * size);
    layers.forEach((layer, i) => this.copySlots(buffers[layer], this.capacity, out.subarray(i * size), this.length, this.length));
    return out;
  }

  private reserve(length: number): void {
    if (length <= this.capacity) return;
    if (length > this.shape.nCtx) throw new Error(`the cache holds at most ${this.shape.nCtx} tokens, asked for ${length}`);
    this.resize(this.slotsFor(length));
  }

  private slotsFor(length: number): number {
    return Math.min(this.shape.nCtx, Math.ceil(length / GROWTH) * GROWTH);
  }

  /** New buffers of `capacity` slots a head, holding what the old ones held. */
  private resize(capacity: number): void {
    const { nLayer } = this.shape;
    const grow = (old: Float32Array | undefined) => {
      const buffer = new Float32Array(this.shape.nHead * capacity * this.shape.headDim);
      if (old) this.copySlots(old, this.capacity, buffer, capacity, this.length);
      return buffer;
    };
    this.keys = Array.from({ length: nLayer }, (_, l) => grow(this.keys[l]));
    this.values = Array.from({ length: nLayer }, (_, l) => grow(this.values[l]));
    if (this.keepsQueries) this.queries = Array.from({ length: nLayer }, (_, l) => grow(this.queries[l]));
    this.capacity = capacity;
  }

  /** The first `count` slots of every head, between buffers of `fromSlots` and `toSlots` slots a head; `at` is the first slot written. */
  private copySlots(from: Float32Array, fromSlots: number, to: Float32Array, toSlots: number, count: number, at = 0): void {
    const d = this.shape.headDim;
    for (let h = 0; h < this.shape.nHead; h++) to.set(from.subarray(h * fromSlots * d, (h * fromSlots + count) * d), (h * toSlots + at) * d);
  }
}
