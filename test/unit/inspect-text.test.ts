// Which text Inspect Selection sends to the model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseInspectText, MAX_INSPECT_CHARS } from '../../extension/inspect-text';

test('ordinary text is sent as it is', () => {
  assert.deepEqual(chooseInspectText('The capital of France is', 'selection'), { ok: true, text: 'The capital of France is', skipped: 0 });
});

test('an empty line or a whitespace-only selection is refused with a reason', () => {
  const line = chooseInspectText('   ', 'line');
  assert.equal(line.ok, false);
  assert.match(!line.ok ? line.reason : '', /current line is empty/);
  const selection = chooseInspectText('\n\t', 'selection');
  assert.match(!selection.ok ? selection.reason : '', /only whitespace/);
});

test('binary content (NUL bytes) is refused', () => {
  const r = chooseInspectText('PK\u0003\u0004\u0000\u0000abc', 'selection');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : '', /binary/);
});

test('a huge selection keeps its end, never splitting a surrogate pair', () => {
  const text = 'a'.repeat(10) + '🎉'.repeat(MAX_INSPECT_CHARS);
  const r = chooseInspectText(text, 'selection');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.ok(r.text.length <= MAX_INSPECT_CHARS);
  assert.equal(r.text, text.slice(r.skipped));
  assert.equal(r.text.codePointAt(0), 0x1f389, 'starts on a whole emoji');
});
