import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttentionPatternRequest,
  AttentionPatternResult,
  EditorCursor,
  ExportSave,
  InspectionExport,
  InspectionProgress,
  InspectionShow,
  LensTargetRequest,
  LensTargetResult,
  PanelReady,
  StateChanged,
  TokenReveal,
  WhyAttribute,
  parseHostMessage,
  parsePanelViewState,
  parseWebviewMessage,
  type PanelViewState,
} from '../../protocol/panel-messages';
import { headOfLayer } from '../../protocol/inspection';
import { fixtureLensTarget, fixtureShow } from './webview-fixture';

const state: PanelViewState = {
  tab: 'lens',
  tokenColour: 'surprisal',
  showTokenIds: true,
  selectedToken: 3,
  sampling: { temperature: 0.7, topK: 5, topP: 0.9 },
  lensColour: 'target-rank',
  lensTarget: { id: 3290, text: ' dog' },
  attentionHead: { layer: 1, head: null },
  attentionView: 'lines',
  followSelection: true,
};

const errorOf = (result: object): string => ('error' in result ? String(result.error) : 'no error');

test('valid webview → host messages come back typed', () => {
  assert.deepEqual(parseWebviewMessage({ type: PanelReady, payload: {} }), { type: PanelReady, payload: {} });
  assert.deepEqual(parseWebviewMessage({ type: TokenReveal, payload: { start: 4, end: 10 } }), {
    type: TokenReveal,
    payload: { start: 4, end: 10 },
  });
  assert.deepEqual(parseWebviewMessage({ type: LensTargetRequest, payload: { requestId: 2, text: ' Paris', id: null } }), {
    type: LensTargetRequest,
    payload: { requestId: 2, text: ' Paris', id: null },
  });
  const save = { format: 'png', filename: 'glassbox-lens.png', data: 'iVBORw0K', encoding: 'base64' };
  assert.deepEqual(parseWebviewMessage({ type: ExportSave, payload: save }), { type: ExportSave, payload: save });
  assert.deepEqual(parseWebviewMessage({ type: StateChanged, payload: { state } }), { type: StateChanged, payload: { state } });
});

test('malformed webview messages are refused with the path of the first bad field', () => {
  assert.equal(errorOf(parseWebviewMessage('panel/ready')), 'message: expected an object, got string');
  assert.equal(errorOf(parseWebviewMessage({ type: 'panel/explode', payload: {} })), 'unknown message type "panel/explode"');
  assert.equal(errorOf(parseWebviewMessage({ type: 'toString', payload: {} })), 'unknown message type "toString"');
  assert.equal(errorOf(parseWebviewMessage({ type: PanelReady })), 'payload: expected an object, got undefined');
  assert.equal(
    errorOf(parseWebviewMessage({ type: TokenReveal, payload: { start: 10, end: 4 } })),
    'payload.end: expected an integer, got number',
    'end before start',
  );
  assert.equal(
    errorOf(parseWebviewMessage({ type: TokenReveal, payload: { start: -1, end: 4 } })),
    'payload.start: expected a non-negative integer, got number',
  );
  assert.match(errorOf(parseWebviewMessage({ type: ExportSave, payload: { format: 'png', filename: '../x.png', data: '', encoding: 'base64' } })), /bare file name/);
  assert.match(errorOf(parseWebviewMessage({ type: ExportSave, payload: { format: 'gif', filename: 'x.gif', data: '', encoding: 'base64' } })), /png \| svg \| json \| csv/);
  assert.match(errorOf(parseWebviewMessage({ type: StateChanged, payload: { state: { ...state, tab: 'graph' } } })), /payload\.state\.tab/);
});

test('an inspection passes with its typed arrays, and a wrong shape is refused', () => {
  const show = fixtureShow({ randomWeights: true, droppedTokens: 12 });
  const parsed = parseHostMessage({ type: InspectionShow, payload: show });
  assert.ok(!('error' in parsed));
  assert.equal(parsed.type, InspectionShow);
  assert.deepEqual(parsed.payload, show);

  const lens = { ...show.inspection.lens, entropy: { dims: [3, 19], data: new Float32Array(57) } };
  const bad = { ...show, inspection: { ...show.inspection, lens } };
  assert.equal(errorOf(parseHostMessage({ type: InspectionShow, payload: bad })), 'payload.inspection.lens.entropy.dims: expected [3, 23], got [3, 19]');

  const nested = { ...show.inspection.next, prob: { dims: [23], data: Array.from({ length: 23 }, () => 0.5) } };
  assert.equal(
    errorOf(parseHostMessage({ type: InspectionShow, payload: { ...show, inspection: { ...show.inspection, next: nested } } })),
    'payload.inspection.next.prob.data: expected a Float32Array, got array',
    'tensors travel as typed arrays, never nested arrays',
  );
});

test('other host → webview messages', () => {
  assert.deepEqual(parseHostMessage({ type: InspectionProgress, payload: { message: 'Loading gpt2…', fraction: null } }), {
    type: InspectionProgress,
    payload: { message: 'Loading gpt2…', fraction: null },
  });
  assert.match(errorOf(parseHostMessage({ type: InspectionProgress, payload: { message: 'x', fraction: 2 } })), /\[0, 1\]/);
  assert.deepEqual(parseHostMessage({ type: EditorCursor, payload: { offset: null } }), { type: EditorCursor, payload: { offset: null } });

  const { inspection } = fixtureShow();
  const target = fixtureLensTarget(inspection, 3290);
  const ok = parseHostMessage({ type: LensTargetResult, payload: { requestId: 1, outcome: { piece: { id: 3290, text: ' dog' }, target } } });
  assert.deepEqual(ok, { type: LensTargetResult, payload: { requestId: 1, outcome: { piece: { id: 3290, text: ' dog' }, target } } });
  const failed = parseHostMessage({ type: LensTargetResult, payload: { requestId: 1, outcome: { error: 'empty text' } } });
  assert.deepEqual(failed, { type: LensTargetResult, payload: { requestId: 1, outcome: { error: 'empty text' } } });
  assert.match(errorOf(parseHostMessage({ type: PanelReady, payload: {} })), /unknown message type/, 'directions do not mix');
});

test('a head\'s pattern (or a layer\'s mean), asked for by the page, comes back checked against its own shape', () => {
  const request = { type: AttentionPatternRequest, payload: { requestId: 3, layer: 1, head: 2 } };
  assert.deepEqual(parseWebviewMessage(request), request);
  const mean = { type: AttentionPatternRequest, payload: { requestId: 4, layer: 1, head: null } };
  assert.deepEqual(parseWebviewMessage(mean), mean);
  assert.match(errorOf(parseWebviewMessage({ type: AttentionPatternRequest, payload: { requestId: 3, layer: -1, head: 0 } })), /payload\.layer/);
  assert.match(errorOf(parseWebviewMessage({ type: AttentionPatternRequest, payload: { requestId: 3, layer: 1 } })), /payload\.head/, 'head or null, never left out');
  const pattern = headOfLayer(fixtureShow().inspection.attention.patterns[1]!, 2);
  const answer = { type: AttentionPatternResult, payload: { requestId: 3, layer: 1, head: 2, outcome: { pattern } } };
  assert.deepEqual(parseHostMessage(answer), answer);
  const notTriangular = { dims: [1, pattern.dims[1] - 1], data: pattern.data.subarray(0, pattern.data.length - 1) };
  assert.match(errorOf(parseHostMessage({ type: AttentionPatternResult, payload: { requestId: 3, layer: 1, head: 2, outcome: { pattern: notTriangular } } })), /outcome\.pattern\.dims/);
  const failed = { type: AttentionPatternResult, payload: { requestId: 3, layer: 1, head: null, outcome: { error: 'The model process restarted.' } } };
  assert.deepEqual(parseHostMessage(failed), failed);
});

test('the inspection\'s JSON is asked of the host by a bare file name', () => {
  const request = { type: InspectionExport, payload: { filename: 'glassbox-inspection-fox.json' } };
  assert.deepEqual(parseWebviewMessage(request), request);
  assert.match(errorOf(parseWebviewMessage({ type: InspectionExport, payload: { filename: '../fox.json' } })), /payload\.filename/);
});

test('saved view state is checked the same way when the webview restores it', () => {
  assert.deepEqual(parsePanelViewState(state), state);
  assert.throws(() => parsePanelViewState({ ...state, sampling: { temperature: -1, topK: 5, topP: 0.9 } }), /temperature/);
  assert.equal(parsePanelViewState({ ...state, lensColour: 'change' }).lensColour, 'change', 'the lens’s difference mode is remembered');
  assert.throws(() => parsePanelViewState({ ...state, lensColour: 'difference' }), /state\.lensColour/);
});

test('an attribution is asked of the shown text or of the pinned one, and says which', () => {
  const request = { requestId: 5, of: 'pinned', position: 19, targetId: 3290, versusId: null };
  assert.deepEqual(parseWebviewMessage({ type: WhyAttribute, payload: request }), { type: WhyAttribute, payload: request });
  assert.match(errorOf(parseWebviewMessage({ type: WhyAttribute, payload: { ...request, of: 'clean' } })), /payload\.of: expected shown \| pinned/);
  const { of: _, ...unsaid } = request;
  assert.match(errorOf(parseWebviewMessage({ type: WhyAttribute, payload: unsaid })), /payload\.of/, 'never left out');
});
