// A colour legend: the ramp as a bar, with the scale's ticks under it and optional notes beside it
// (what an outline or a marker means). Every encoded view shows one, so no colour is left to guesswork.
// A note is a string, or a swatch followed by the string it explains.

import { rampSteps, rampTable, type ColourScale } from './colour-scale';
import { el } from './element-builder';

export function legend(scale: ColourScale, notes: readonly (string | Node)[] = []): HTMLElement {
  const bar = el('canvas', { class: 'gb-legend-ramp', attrs: { width: rampSteps, height: 1, 'aria-hidden': 'true' } });
  const context = bar.getContext('2d');
  if (context) {
    const image = context.createImageData(rampSteps, 1);
    const table = rampTable(scale.ramp);
    for (let i = 0; i < rampSteps; i++) image.data.set([table[i * 3], table[i * 3 + 1], table[i * 3 + 2], 255], i * 4);
    context.putImageData(image, 0, 0);
  }
  const ticks = el('div', { class: 'gb-legend-ticks', attrs: { 'aria-hidden': 'true' } });
  for (const tick of scale.ticks) {
    const mark = el('span', { class: 'gb-legend-tick', text: tick.label });
    mark.style.left = `${scale.position(tick.value) * 100}%`;
    ticks.append(mark);
  }
  const first = scale.ticks[0]?.label ?? '';
  const last = scale.ticks.at(-1)?.label ?? '';
  return el('div', { class: 'gb-legend', attrs: { role: 'img', 'aria-label': `Colour scale: ${scale.title}, from ${first} to ${last}` } }, [
    el('span', { class: 'gb-legend-title', text: scale.title }),
    el('div', { class: 'gb-legend-scale' }, [bar, ticks]),
    ...pairSwatches(notes).map((note) => el('span', { class: 'gb-legend-note' }, note)),
  ]);
}

/** A swatch and its text in one note: apart, a narrow panel wrapped them onto different lines. */
function pairSwatches(notes: readonly (string | Node)[]): (string | Node)[][] {
  const pairs: (string | Node)[][] = [];
  for (let i = 0; i < notes.length; i++) {
    const note = notes[i];
    const next = notes[i + 1];
    if (typeof note !== 'string' && typeof next === 'string') {
      pairs.push([note, next]);
      i++;
    } else pairs.push([note]);
  }
  return pairs;
}
