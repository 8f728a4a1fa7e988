import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  colourOf,
  cssColour,
  klScale,
  parseColour,
  probabilityScale,
  rankScale,
  surprisalScale,
  textColourOn,
} from '../../webview/colour-scale';

test('probability maps linearly onto viridis, dark purple at 0 and yellow at 1', () => {
  const scale = probabilityScale();
  assert.equal(scale.position(0.25), 0.25);
  assert.equal(scale.position(1.5), 1, 'clamped');
  assert.ok(Number.isNaN(scale.position(Number.NaN)));
  assert.deepEqual(colourOf(scale, 0), { r: 0x44, g: 0x01, b: 0x54 }); // viridis #440154
  assert.deepEqual(colourOf(scale, 1), { r: 0xfd, g: 0xe7, b: 0x25 }); // viridis #fde725
  assert.equal(colourOf(scale, Number.NaN), null, 'a missing value has no colour');
});

test('the table has 256 steps, so a mid value lands within one step of the ramp', () => {
  const mid = colourOf(probabilityScale(), 0.5);
  const exact = parseColour('#21918c'); // viridis(0.5)
  assert.ok(mid);
  for (const channel of ['r', 'g', 'b'] as const) assert.ok(Math.abs(mid[channel] - exact[channel]) <= 2, channel);
});

test('surprisal: 0 bits is the bright end of magma, 20 bits and more the dark end', () => {
  const scale = surprisalScale();
  assert.deepEqual(colourOf(scale, 0), { r: 0xfc, g: 0xfd, b: 0xbf }); // magma(1)
  assert.deepEqual(colourOf(scale, 20), { r: 0x00, g: 0x00, b: 0x04 }); // magma(0)
  assert.deepEqual(colourOf(scale, Number.POSITIVE_INFINITY), colourOf(scale, 20), 'p = 0 is as dark as it gets');
  assert.equal(scale.position(5), 0.25);
});

test('rank is logarithmic: rank 0 (top-1) is bright, rank 9 a third of the way, 999 the end', () => {
  const scale = rankScale();
  assert.equal(scale.position(0), 0);
  assert.ok(Math.abs(scale.position(9) - 1 / 3) < 1e-12);
  assert.equal(scale.position(999), 1);
  assert.equal(scale.position(5000), 1);
  assert.deepEqual(colourOf(scale, 0), { r: 253, g: 234, b: 69 }); // cividis(1)
  assert.deepEqual(colourOf(scale, 9), { r: 164, g: 157, b: 120 }); // cividis(2/3)
  assert.deepEqual(
    scale.ticks.map((t) => t.label),
    ['1', '10', '100', '≥1000'],
    'ticks are labelled 1-based',
  );
});

test('KL saturates at its maximum and says so on the legend', () => {
  const scale = klScale(10);
  assert.equal(scale.position(25), 1);
  assert.equal(scale.ticks.at(-1)?.label, '≥10');
});

test('text on a colour is black or white, whichever contrasts more', () => {
  assert.equal(textColourOn({ r: 255, g: 255, b: 255 }), '#000000');
  assert.equal(textColourOn({ r: 0, g: 0, b: 0 }), '#ffffff');
  assert.equal(textColourOn(parseColour('#440154')), '#ffffff', 'viridis dark end');
  assert.equal(textColourOn(parseColour('#fde725')), '#000000', 'viridis bright end');
});

test('colours parse from both forms d3 returns and print as rgb()', () => {
  assert.deepEqual(parseColour('rgb(0, 32, 81)'), { r: 0, g: 32, b: 81 });
  assert.deepEqual(parseColour('#00ff10'), { r: 0, g: 255, b: 16 });
  assert.equal(cssColour({ r: 1, g: 2, b: 3 }), 'rgb(1, 2, 3)');
  assert.throws(() => parseColour('teal'));
});
