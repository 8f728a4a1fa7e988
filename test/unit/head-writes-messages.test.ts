// What a head writes crosses two rooms: the page asks the host (`heads/writes` → `heads/writesResult`), the host
// asks the model process (`heads/writes`, with the shown inspection's ids and ablation). Each side takes what
// describes it exactly and refuses the rest with where.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HeadWrites } from '../../protocol/head-writes';
import { parseHostToModel, parseModelToHost } from '../../protocol/model-message-guards';
import { HeadWritesRequest, HeadWritesResult, parseHostMessage, parseWebviewMessage } from '../../protocol/panel-messages';

const errorOf = (result: object): string => ('error' in result ? String(result.error) : 'no error');

/** Head 1 of layer 0 at position 3: two sources, one a lone byte of a three-byte character. */
const writes: HeadWrites = {
  layer: 0,
  head: 1,
  position: 3,
  sources: [
    { position: 3, attention: 0.6, token: { id: 18045, text: ' fox' }, top: [{ id: 21831, text: ' foxes', value: 4.5 }] },
    { position: 1, attention: 0.25, token: { id: 158, text: '\ufffd', bytes: [0xe2] }, top: [{ id: 447, text: '\ufffd', bytes: [0xe2, 0x80], value: 2 }] },
  ],
  promoted: [{ id: 3290, text: ' dog', value: 1.25 }],
  suppressed: [{ id: 262, text: ' the', value: -0.5 }],
};

test('the model process takes heads/writes with or without an ablation, and refuses a head that is not a number', () => {
  const request = { type: 'request', id: 7, method: 'heads/writes', params: { ids: [464, 158, 7586, 18045], position: 3, layer: 0, head: 1 } } as const;
  assert.deepEqual(parseHostToModel(request), request);
  const ablated = { ...request, params: { ...request.params, ablation: { ablations: [{ hook: 'attn.hook_z', layer: 0, unit: 1 }], mode: 'zero' } } } as const;
  assert.deepEqual(parseHostToModel(ablated), ablated);
  assert.deepEqual(parseHostToModel({ ...request, params: { ...request.params, head: -1 } }), { error: 'message.params.head: expected a non-negative integer, got number', id: 7 });
});

test('its result comes back as it was, bytes only where a token has them', () => {
  const answer = parseModelToHost({ type: 'result', id: 7, result: writes }, () => 'heads/writes');
  assert.deepEqual(answer, { type: 'result', id: 7, result: writes });
  const bad = (result: unknown) => errorOf(parseModelToHost({ type: 'result', id: 7, result }, () => 'heads/writes'));
  const withBytes = (bytes: unknown) => ({ ...writes, sources: [{ ...writes.sources[1], token: { ...writes.sources[1].token, bytes } }] });
  assert.match(bad(withBytes([256])), /sources\[0\]\.token\.bytes\[0\]: expected a byte/);
  assert.match(bad({ ...writes, sources: [{ ...writes.sources[0], position: 4 }] }), /sources\[0\]\.position: expected a position at or before 3/, 'a head reads only from earlier tokens');
  assert.match(bad({ ...writes, promoted: [{ id: 1, text: 'x', value: Number.NaN }] }), /promoted\[0\]\.value: expected a finite number/);
});

test('the page asks for a head at a position; the host answers with what it writes or why not', () => {
  const ask = { type: HeadWritesRequest, payload: { requestId: 3, position: 5, layer: 1, head: 2 } };
  assert.deepEqual(parseWebviewMessage(ask), ask);
  assert.match(errorOf(parseWebviewMessage({ ...ask, payload: { ...ask.payload, layer: 'one' } })), /payload\.layer/);
  const answer = { type: HeadWritesResult, payload: { requestId: 3, outcome: { writes } } };
  assert.deepEqual(parseHostMessage(answer), answer);
  const refusal = { type: HeadWritesResult, payload: { requestId: 3, outcome: { error: 'No model is loaded yet.' } } };
  assert.deepEqual(parseHostMessage(refusal), refusal);
});
