// The two protocol additions behind "Explain this completion": inspect/run by token ids, and the generated
// span an inspection is shown with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostToModel } from '../../protocol/model-message-guards';
import { InspectionShow, parseHostMessage } from '../../protocol/panel-messages';
import { fixtureShow } from './webview-fixture';

const inspect = (params: Record<string, unknown>) => ({
  type: 'request',
  id: 3,
  method: 'inspect/run',
  params: { text: 'I am happy', topK: 5, targetId: null, windowToContext: true, ...params },
});

test('inspect/run may name the exact token ids of its text', () => {
  const parsed = parseHostToModel(inspect({ ids: [40, 716, 220, 34191] }));
  assert.ok('type' in parsed && parsed.type === 'request');
  assert.deepEqual('params' in parsed && parsed.params, { text: 'I am happy', topK: 5, targetId: null, windowToContext: true, ids: [40, 716, 220, 34191] });
  // Without ids the text is tokenized, as before.
  const plain = parseHostToModel(inspect({}));
  assert.ok('params' in plain && !('ids' in plain.params));
});

test('ids that are not token ids are refused with the path of the bad one', () => {
  for (const ids of [[40, -1], [40, 1.5], '40 716', [40, null]]) {
    const parsed = parseHostToModel(inspect({ ids }));
    assert.ok('error' in parsed && /params\.ids/.test(parsed.error), `${JSON.stringify(ids)}: ${JSON.stringify(parsed)}`);
    assert.equal('id' in parsed && parsed.id, 3);
  }
});

test('an inspection is shown with its generated span, checked against its tokens', () => {
  const show = fixtureShow();
  const n = show.inspection.tokens.length;
  const withSpan = { ...show, source: { ...show.source, generated: { start: 14, end: n } } };
  const parsed = parseHostMessage({ type: InspectionShow, payload: withSpan });
  assert.ok('type' in parsed && parsed.type === InspectionShow);
  assert.deepEqual(parsed.payload.source.generated, { start: 14, end: n });

  const past = parseHostMessage({ type: InspectionShow, payload: { ...withSpan, source: { ...withSpan.source, generated: { start: 14, end: n + 1 } } } });
  assert.match('error' in past ? past.error : '', /payload\.source\.generated\.end/);
  const backwards = parseHostMessage({ type: InspectionShow, payload: { ...withSpan, source: { ...withSpan.source, generated: { start: 14, end: 13 } } } });
  assert.match('error' in backwards ? backwards.error : '', /payload\.source\.generated\.end/);
  // Text from a document has no span: null, or no field at all.
  const none = parseHostMessage({ type: InspectionShow, payload: { ...withSpan, source: { ...withSpan.source, generated: null } } });
  assert.ok('type' in none && none.type === InspectionShow && none.payload.source.generated === null);
});
