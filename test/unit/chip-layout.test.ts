// The exported Tokens figure's layout: chips in rows as text, the figure as wide as its widest row.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chipLayout } from '../../webview/chip-layout';

test('a short text is one row as wide as its chips, not as wide as a row may be', () => {
  const layout = chipLayout([30, 50, 40], [false, false, false], 880, 3);
  assert.deepEqual(layout.x, [0, 33, 86]);
  assert.deepEqual(layout.row, [0, 0, 0]);
  assert.equal(layout.rows, 1);
  assert.equal(layout.width, 126, 'no blank band beside the chips');
});

test('rows wrap before a chip that would pass the width, and break after a newline token', () => {
  const layout = chipLayout([60, 60, 60, 20, 60], [false, false, false, true, false], 150, 3);
  assert.deepEqual(layout.row, [0, 0, 1, 1, 2]);
  assert.deepEqual(layout.x, [0, 63, 0, 63, 0]);
  assert.equal(layout.width, 123);
});

test('a newline at the end of the text opens no empty row, and a chip wider than a row has one of its own', () => {
  assert.equal(chipLayout([40, 20], [false, true], 880, 3).rows, 1);
  const wide = chipLayout([40, 300, 40], [false, false, false], 200, 3);
  assert.deepEqual(wide.row, [0, 1, 2]);
  assert.equal(wide.width, 300);
  assert.equal(chipLayout([], [], 880, 3).rows, 0);
});
