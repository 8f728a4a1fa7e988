// An ablation crosses two rooms: the page asks the host for it (`ablation/set`), the host asks the model process
// (`inspect/run`, `attention/pattern`, `attribute/run` with `ablation`), and the host shows the ablated inspection
// with its baseline. Each side refuses what does not describe a unit exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostToModel } from '../../protocol/model-message-guards';
import { AblationSet, InspectionShow, parseHostMessage, parseWebviewMessage } from '../../protocol/panel-messages';
import { ablationKey, type AblationSetting } from '../../protocol/interventions';
import { fixtureAblated, fixtureShow } from './webview-fixture';

const setting: AblationSetting = { ablations: [{ hook: 'attn.hook_z', layer: 1, unit: 2 }, { hook: 'hook_mlp_out', layer: 0, unit: null }], mode: 'mean' };
const errorOf = (result: object): string => ('error' in result ? String(result.error) : 'no error');

test('the page’s ablation/set comes back typed; units that are not units are refused with where', () => {
  assert.deepEqual(parseWebviewMessage({ type: AblationSet, payload: { ablation: setting } }), { type: AblationSet, payload: { ablation: setting } });
  const bad = (ablation: unknown) => errorOf(parseWebviewMessage({ type: AblationSet, payload: { ablation } }));
  assert.match(bad({ ablations: [{ hook: 'attn.hook_z', layer: 1, unit: null }], mode: 'zero' }), /payload\.ablation\.ablations\[0\]/, 'a head needs its number');
  assert.match(bad({ ablations: [{ hook: 'hook_mlp_out', layer: 1, unit: 3 }], mode: 'zero' }), /ablations\[0\]/, 'a whole output has none');
  assert.match(bad({ ablations: [{ hook: 'attn.hook_q', layer: 1, unit: 0 }], mode: 'zero' }), /ablations\[0\]\.hook/);
  assert.match(bad({ ablations: [], mode: 'resample' }), /ablation\.mode/);
  assert.match(bad({ ablations: [{ hook: 'hook_mlp_out', layer: -1, unit: null }], mode: 'zero' }), /ablations\[0\]\.layer/);
  assert.match(bad({ ablations: new Array(5000).fill({ hook: 'hook_mlp_out', layer: 0, unit: null }), mode: 'zero' }), /over the limit/);
});

test('the model process takes an ablation on inspect/run, attention/pattern and attribute/run', () => {
  const requests = [
    { method: 'inspect/run', params: { text: 'a b', topK: 5, targetId: null, windowToContext: true, ablation: setting } },
    { method: 'attention/pattern', params: { ids: [1, 2], layer: 0, ablation: setting } },
    { method: 'attribute/run', params: { ids: [1, 2], position: 1, targetId: 3, versusId: null, ablation: setting } },
  ];
  for (const [i, request] of requests.entries()) {
    const parsed = parseHostToModel({ type: 'request', id: i, ...request });
    assert.ok(!('error' in parsed), `${request.method}: ${errorOf(parsed)}`);
    assert.deepEqual((parsed as { params: { ablation: unknown } }).params.ablation, setting);
    const broken = parseHostToModel({ type: 'request', id: i, ...request, params: { ...request.params, ablation: { ablations: [{ hook: 'attn.hook_z', layer: 0 }], mode: 'zero' } } });
    assert.match(errorOf(broken), /ablation\.ablations\[0\]/);
  }
});

test('an ablated inspection comes with its baseline, which must be of the same tokens and model', () => {
  const show = fixtureShow();
  const ablated = fixtureAblated(show.inspection, 2);
  const payload = { ...show, inspection: ablated, ablated: { setting, baseline: show.inspection } };
  const parsed = parseHostMessage({ type: InspectionShow, payload });
  assert.ok(!('error' in parsed), errorOf(parsed));
  assert.deepEqual((parsed as { payload: { ablated: { setting: unknown } } }).payload.ablated.setting, setting);
  assert.equal((parseHostMessage({ type: InspectionShow, payload: { ...show, ablated: null } }) as { payload: { ablated: unknown } }).payload.ablated, null, 'null: not ablated');

  const other = fixtureShow({ tokens: 12 }).inspection;
  assert.match(errorOf(parseHostMessage({ type: InspectionShow, payload: { ...payload, ablated: { setting, baseline: other } } })), /ablated\.baseline\.tokens/);
  const renamed = { ...show.inspection, model: { ...show.inspection.model, name: 'distilgpt2' } };
  assert.match(errorOf(parseHostMessage({ type: InspectionShow, payload: { ...payload, ablated: { setting, baseline: renamed } } })), /baseline\.model\.name/);
});

test('one key per setting, whatever order its units came in', () => {
  const reversed = { ...setting, ablations: [...setting.ablations].reverse() };
  assert.equal(ablationKey(reversed), ablationKey(setting));
  assert.notEqual(ablationKey({ ...setting, mode: 'zero' }), ablationKey(setting));
});
