// The Compare tab's readings of two inspections, and the patching messages that cross the rooms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finalTopK } from '../../protocol/inspection-reading';
import { normalisedEffect, type AttributionReport, type PatchReport } from '../../protocol/interventions';
import { parseHostToModel } from '../../protocol/model-message-guards';
import { ComparePin, InspectionShow, PatchRequest, PatchResult, parseHostMessage, parseWebviewMessage } from '../../protocol/panel-messages';
import { attributionChange, attributionChangeCsv, componentName } from '../../webview/attribution-change';
import { comparePositions, defaultPatchQuestion, metricCandidates } from '../../webview/compare-reading';
import { fixtureCounterfactual, fixtureInspection, fixtureShow } from './webview-fixture';

const errorOf = (result: object): string => ('error' in result ? String(result.error) : 'no error');
const shown = fixtureInspection({ tokens: 6 });
const pinned = fixtureCounterfactual(shown);

test('positions side by side: each text’s token and the probability its model gave it; only the changed one differs', () => {
  const rows = comparePositions(pinned, shown);
  assert.equal(rows.length, 6);
  assert.deepEqual(rows.filter((r) => r.differs).map((r) => r.position), [3]);
  assert.equal(rows[3].pinned?.token.text, ' cat');
  assert.equal(rows[3].shown?.token.text, shown.tokens[3].text);
  assert.equal(rows[2].shown?.prob, shown.next.prob.data[1], 'token 2 was predicted at position 1');
  assert.ok(Number.isNaN(rows[0].shown!.prob), 'nothing predicted the first token');

  const shorter = fixtureInspection({ tokens: 4 });
  const uneven = comparePositions(shorter, shown);
  assert.equal(uneven.length, 6, 'as long as the longer text');
  assert.equal(uneven[5].pinned, null);
  assert.ok(uneven[5].differs);
});

test('the default metric: the pinned text’s top guess against the shown text’s, or the pinned second when they agree', () => {
  const last = (i: typeof shown) => finalTopK(i, i.tokens.length - 1);
  const q = defaultPatchQuestion(pinned, shown);
  assert.equal(q.hook, 'hook_resid_pre');
  assert.equal(q.targetId, last(pinned)[0].id);
  // The counterfactual fixture keeps the lens, so both texts guess the same: the versus is the pinned second.
  assert.equal(q.versusId, last(pinned)[1].id);
  assert.equal(defaultPatchQuestion(pinned, shown, 'attn.hook_z').hook, 'attn.hook_z', 'a chosen hook is kept');
  const ids = metricCandidates(pinned, shown).map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'each token once');
  assert.ok(ids.includes(q.targetId) && ids.includes(q.versusId!));
});

test('the normalised effect: 1 where the clean metric comes back, 0 where nothing changes, NaN when clean = corrupt', () => {
  const report: PatchReport = { hook: 'hook_resid_pre', targetId: 1, versusId: null, clean: 3, corrupt: -1, results: [] };
  assert.equal(normalisedEffect(report, 3), 1);
  assert.equal(normalisedEffect(report, -1), 0);
  assert.equal(normalisedEffect(report, 1), 0.5);
  assert.ok(Number.isNaN(normalisedEffect({ ...report, clean: -1 }, 0)));
});

test('patching messages: the page asks, the host answers; the model process takes patch/run; bad hooks are refused', () => {
  const request = { requestId: 4, hook: 'attn.hook_z', targetId: 262, versusId: null };
  assert.deepEqual(parseWebviewMessage({ type: PatchRequest, payload: request }), { type: PatchRequest, payload: request });
  assert.match(errorOf(parseWebviewMessage({ type: PatchRequest, payload: { ...request, hook: 'hook_z' } })), /payload\.hook/);
  assert.deepEqual(parseWebviewMessage({ type: ComparePin, payload: { pin: true } }), { type: ComparePin, payload: { pin: true } });
  const report = { hook: 'hook_mlp_out', targetId: 262, versusId: 290, clean: 1.5, corrupt: -0.25, results: [[0.1, 0.2], [0.3, 0.4]] };
  assert.deepEqual(parseHostMessage({ type: PatchResult, payload: { requestId: 4, outcome: { report } } }), { type: PatchResult, payload: { requestId: 4, outcome: { report } } });
  assert.match(errorOf(parseHostMessage({ type: PatchResult, payload: { requestId: 4, outcome: { report: { ...report, clean: Number.NaN } } } })), /report\.clean/);
  const params = { clean: [1, 2, 3], corrupt: [1, 5, 3], hook: 'hook_resid_pre', targetId: 7, versusId: 8 };
  const parsed = parseHostToModel({ type: 'request', id: 9, method: 'patch/run', params });
  assert.deepEqual((parsed as { params: unknown }).params, params);
  assert.match(errorOf(parseHostToModel({ type: 'request', id: 9, method: 'patch/run', params: { ...params, hook: 'blocks.0.hook_resid_pre' } })), /params\.hook/);
});

test('a pinned baseline must be of the shown inspection’s model', () => {
  const show = fixtureShow({ tokens: 6 });
  const ok = parseHostMessage({ type: InspectionShow, payload: { ...show, pinned: { uri: 'file:///a.md', inspection: pinned } } });
  assert.ok(!('error' in ok), errorOf(ok));
  const other = { ...pinned, model: { ...pinned.model, name: 'distilgpt2' } };
  assert.match(errorOf(parseHostMessage({ type: InspectionShow, payload: { ...show, pinned: { uri: 'file:///a.md', inspection: other } } })), /pinned\.inspection\.model\.name/);
});

test('the attribution difference: each component’s share in both texts, largest change first, summing to the metric’s change', () => {
  const question = { position: 5, targetId: 3290, versusId: 3797 };
  const report = (embed: number, head: number, mlp: number): AttributionReport => ({
    ...question,
    logitDiff: embed + head + mlp,
    components: [
      { hook: 'hook_embed', value: embed },
      { hook: 'blocks.0.attn.hook_result', head: 1, value: head },
      { hook: 'blocks.0.hook_mlp_out', value: mlp },
    ],
    neurons: [],
  });
  const change = attributionChange(report(0.5, 1, -0.25), report(0.5, -1, 0.75));
  assert.deepEqual(change.components.map((c) => [componentName(c), c.delta]), [
    ['blocks.0.attn.hook_result head 1', -2],
    ['blocks.0.hook_mlp_out', 1],
    ['hook_embed', 0],
  ]);
  assert.deepEqual([change.pinned, change.shown, change.delta], [1.25, 0.25, -1]);
  assert.equal(change.components.reduce((sum, c) => sum + c.delta, 0), change.delta, 'the components add up, in the difference too');
  assert.equal(
    attributionChangeCsv(change),
    [
      'position,target_id,versus_id,hook,head,pinned,shown,change',
      '5,3290,3797,blocks.0.attn.hook_result,1,1,-1,-2',
      '5,3290,3797,blocks.0.hook_mlp_out,,-0.25,0.75,1',
      '5,3290,3797,hook_embed,,0.5,0.5,0',
      '5,3290,3797,logit_diff,,1.25,0.25,-1',
      '',
    ].join('\n'),
  );
  assert.throws(() => attributionChange(report(0, 0, 0), { ...report(0, 0, 0), versusId: null }), /different metrics/);
});
