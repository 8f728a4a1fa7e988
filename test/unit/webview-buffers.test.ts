// What the Inspect panel posts to its page: VS Code ships a typed array's whole ArrayBuffer, so a tensor that is
// a view on the IPC message it came in (its attention patterns and all) is copied to a buffer of its own first.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withOwnBuffers } from '../../extension/webview-buffers';

test('a typed array that is a view on a larger buffer is copied; one that owns its buffer is passed as it is', () => {
  const message = new ArrayBuffer(1_000_000);
  const prob = new Float32Array(message, 64, 3);
  prob.set([0.5, 0.25, 0.125]);
  const rank = new Int32Array([1, 2, 3]);
  const payload = { reading: { next: { prob: { dims: [3], data: prob }, rank: { dims: [3], data: rank } } }, tokens: [{ id: 7, text: 'a' }], windowed: null };

  const posted = withOwnBuffers(payload);

  const data = posted.reading.next.prob.data;
  assert.deepEqual([...data], [0.5, 0.25, 0.125]);
  assert.equal(data.buffer.byteLength, 12, 'only the view’s own bytes travel');
  assert.equal(posted.reading.next.rank.data, rank);
  assert.deepEqual(posted.tokens, payload.tokens);
  assert.equal(posted.windowed, null);
  // The kept inspection is not touched: it still reads the same memory.
  assert.equal(payload.reading.next.prob.data, prob);
});
