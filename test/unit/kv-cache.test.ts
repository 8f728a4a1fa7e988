// The engine's KV cache: keys and values arrive per run as [head, position, head_dim] and are fed back as
// [head, slot, head_dim] with room to grow; a decoding step feeds every slot with the free ones masked, an inspection only the
// held ones. Values are numbered so that each one says where it belongs: 100·token + 10·head + d.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvCache, type NewEntries } from '../../engine/run/kv-cache';

const shape = { nLayer: 2, nHead: 2, headDim: 3, nCtx: 300 };

/** A run's entries for tokens first … first+n-1 of one layer; values add 0.5 to tell them from keys. */
function entries(first: number, n: number, layer: number, offset = 0): NewEntries {
  const data = new Float32Array(n * shape.nHead * shape.headDim);
  for (let h = 0; h < shape.nHead; h++) for (let t = 0; t < n; t++) for (let d = 0; d < shape.headDim; d++) data[(h * n + t) * shape.headDim + d] = 1000 * layer + 100 * (first + t) + 10 * h + d + offset;
  return { data, dims: [1, shape.nHead, n, shape.headDim] };
}

/** Appends `ids`; queries (offset 0.25) too when the cache keeps them. */
function append(cache: KvCache, ids: number[]): void {
  const first = cache.length;
  const layers = [0, 1];
  const of = (offset: number) => layers.map((l) => entries(first, ids.length, l, offset));
  cache.append(ids, of(0), of(0.5), cache.keepsQueries ? of(0.25) : []);
}

/** What an exact past must hold for `n` tokens of one layer: [head, token, d]. */
function expected(n: number, layer: number, offset = 0): number[] {
  const out: number[] = [];
  for (let h = 0; h < shape.nHead; h++) for (let t = 0; t < n; t++) for (let d = 0; d < shape.headDim; d++) out.push(1000 * layer + 100 * t + 10 * h + d + offset);
  return out;
}

test('an empty cache feeds empty pasts for every layer', () => {
  const past = new KvCache(shape).past(true);
  assert.equal(past.slots, 0);
  assert.deepEqual(past.keys.map((k) => k.length), [0, 0]);
  assert.deepEqual(new KvCache(shape).past(false).keys.map((k) => k.length), [0, 0]);
});

test('appended keys and values come back head-major, token by token, across several runs', () => {
  const cache = new KvCache(shape);
  append(cache, [7, 8, 9]);
  append(cache, [10]);
  append(cache, [11, 12]);
  assert.deepEqual(cache.ids, [7, 8, 9, 10, 11, 12]);
  const past = cache.past(true);
  assert.equal(past.slots, 6);
  for (const l of [0, 1]) {
    assert.deepEqual(Array.from(past.keys[l]), expected(6, l));
    assert.deepEqual(Array.from(past.values[l]), expected(6, l, 0.5));
  }
});

test('a decoding step feeds every slot; the free ones are marked unused', () => {
  const cache = new KvCache(shape);
  append(cache, [1, 2, 3, 4, 5]);
  const past = cache.past(false);
  assert.equal(past.slots, 32, 'room for 32 tokens');
  assert.equal(past.keys[0].length, shape.nHead * 32 * shape.headDim);
  assert.deepEqual([0, 4, 5, 31].map(past.used), [true, true, false, false]);
  // Head 1's token 4 sits at slot 4 of head 1's block.
  assert.equal(past.keys[1][(1 * 32 + 4) * shape.headDim + 2], 1000 + 400 + 10 + 2);
});

test('truncating forgets the tail; the next run overwrites it', () => {
  const cache = new KvCache(shape);
  append(cache, [1, 2, 3, 4, 5]);
  cache.truncate(2);
  assert.deepEqual(cache.ids, [1, 2]);
  assert.equal(cache.past(true).slots, 2);
  append(cache, [30, 40]);
  assert.deepEqual(cache.ids, [1, 2, 30, 40]);
  assert.deepEqual(Array.from(cache.past(true).keys[1]), expected(4, 1));
});

test('growing, 32 slots at a time, keeps what was held', () => {
  const cache = new KvCache(shape);
  append(cache, Array.from({ length: 100 }, (_, i) => i));
  append(cache, Array.from({ length: 60 }, (_, i) => 100 + i));
  assert.equal(cache.past(false).slots, 160);
  assert.deepEqual(Array.from(cache.past(true).values[0]), expected(160, 0, 0.5));
});

test('the shared prefix stops at the first different token and can leave tokens to run', () => {
  const cache = new KvCache(shape);
  append(cache, [5, 6, 7, 8]);
  assert.equal(cache.sharedPrefix([5, 6, 9]), 2);
  assert.equal(cache.sharedPrefix([5, 6, 7, 8, 9]), 4);
  assert.equal(cache.sharedPrefix([5, 6, 7, 8], 1), 3);
  assert.equal(cache.sharedPrefix([1]), 0);
});

test('more tokens than the context are refused, and a mismatched run is caught', () => {
  const cache = new KvCache(shape);
  assert.throws(() => append(cache, new Array(301).fill(1)), /at most 300 tokens/);
  assert.throws(() => cache.append([1, 2], [entries(0, 1, 0), entries(0, 1, 1)], [entries(0, 1, 0), entries(0, 1, 1)]), /returned 1 positions for 2 tokens/);
});

test('truncating far below the room shrinks it (every step copies every slot), keeping what is held', () => {
  const cache = new KvCache(shape);
  append(cache, Array.from({ length: 290 }, (_, i) => i));
  assert.equal(cache.past(false).slots, 300, 'never more room than the context');
  cache.truncate(250);
  assert.equal(cache.past(false).slots, 300, 'a little less held keeps the room');
  cache.truncate(200);
  assert.equal(cache.past(false).slots, 224, 'room for what is held and the next token, in whole steps of 32');
  cache.truncate(20);
  assert.equal(cache.past(false).slots, 32);
  assert.deepEqual(Array.from(cache.past(true).keys[1]), expected(20, 1));
});

test('an inspection\'s cache keeps the queries too, through growth and truncation, several layers at once', () => {
  const cache = new KvCache(shape, true);
  append(cache, Array.from({ length: 40 }, (_, i) => i)); // past the first 32 slots
  append(cache, [1, 2, 3]);
  cache.truncate(41);
  append(cache, [4]);
  assert.deepEqual(Array.from(cache.heldQueries([1])), expected(42, 1, 0.25));
  assert.deepEqual(Array.from(cache.heldKeys([1, 0])), [...expected(42, 1), ...expected(42, 0)]);
  assert.throws(() => cache.append([5], [entries(42, 1, 0), entries(42, 1, 1)], [entries(42, 1, 0), entries(42, 1, 1)]), /keeps queries/);
  assert.throws(() => new KvCache(shape).heldQueries([0]), /does not keep queries/);
});
