// The sampling explorer's controls and its list: sliders for temperature, top-k and top-p over one
// position's next-token distribution, showing which tokens survive and their renormalised probabilities.

import type { SamplingSettings } from '../protocol/panel-messages';
import { el } from './element-builder';
import type { TopEntry } from '../protocol/inspection-reading';
import { formatNumber, formatProbability } from '../protocol/number-format';
import { applySampling, tailMass, type SamplingFate } from './sampling-explorer';
import { tokenLabel } from './token-list';

const fateText: Readonly<Record<SamplingFate, string>> = {
  kept: '',
  'top-k': 'cut by top-k',
  'top-p': 'cut by top-p',
  greedy: 'cut: greedy',
};

interface Slider {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  readonly output: HTMLOutputElement;
}

function slider(label: string, min: number, max: number, step: number, hint: string): Slider {
  const input = el('input', { class: 'gb-range', attrs: { type: 'range', min, max, step, 'aria-label': label } });
  const output = el('output', { class: 'gb-range-value' });
  const element = el('label', { class: 'gb-slider', attrs: { title: hint } }, [el('span', { class: 'gb-slider-label', text: label }), input, output]);
  return { element, input, output };
}

export interface SamplingPanel {
  readonly element: HTMLElement;
  show(entries: readonly TopEntry[], settings: SamplingSettings): void;
}

export function createSamplingPanel(onChange: (settings: SamplingSettings) => void): SamplingPanel {
  const temperature = slider('Temperature', 0, 2, 0.05, 'Divides the logits: below 1 sharpens, above 1 flattens; 0 is greedy.');
  const topK = slider('Top-k', 1, 10, 1, 'Keep only the k most likely tokens.');
  const topP = slider('Top-p', 0, 1, 0.01, 'Keep the most likely tokens until their probability adds up to p.');
  const note = el('p', { class: 'gb-hint' });
  const list = el('ol', { class: 'gb-sample-list', attrs: { 'aria-live': 'polite' } });
  const summary = el('p', { class: 'gb-sample-summary' });
  const element = el('section', { class: 'gb-card gb-sampler', attrs: { 'aria-label': 'Sampling explorer' } }, [
    el('h3', { class: 'gb-card-title', text: 'Sampling explorer' }),
    el('div', { class: 'gb-sliders' }, [temperature.element, topK.element, topP.element]),
    summary,
    el('div', { class: 'gb-sample-key', attrs: { 'aria-hidden': 'true' } }, [
      el('span', {}, [el('i', { class: 'gb-key-ghost' }), 'the model’s probability']),
      el('span', {}, [el('i', { class: 'gb-key-fill' }), 'after temperature, top-k and top-p']),
    ]),
    list,
    note,
  ]);

  let entries: readonly TopEntry[] = [];
  const read = (): SamplingSettings => ({
    temperature: Number(temperature.input.value),
    topK: Number(topK.input.value),
    topP: Number(topP.input.value),
  });
  for (const s of [temperature, topK, topP]) {
    s.input.addEventListener('input', () => {
      draw(read());
      onChange(read());
    });
  }

  function draw(settings: SamplingSettings): void {
    temperature.output.value = settings.temperature === 0 ? '0 (greedy)' : formatNumber(settings.temperature);
    topK.output.value = String(settings.topK);
    topP.output.value = formatNumber(settings.topP);
    const probs = entries.map((e) => e.prob);
    const outcome = applySampling(probs, settings);
    const max = Math.max(...probs, ...outcome.probs, 1e-9);
    list.replaceChildren(
      ...entries.map((entry, i) => {
        const before = el('span', { class: 'gb-bar-ghost' });
        before.style.width = `${(entry.prob / max) * 100}%`;
        const after = el('span', { class: 'gb-bar-fill' });
        after.style.width = `${(outcome.probs[i] / max) * 100}%`;
        const fate = outcome.fates[i];
        return el('li', { class: `gb-sample-row${fate === 'kept' ? '' : ' gb-sample-cut'}` }, [
          tokenLabel(entry),
          el('span', { class: 'gb-bar gb-bar-pair', attrs: { 'aria-hidden': 'true' } }, [before, after]),
          el('span', { class: 'gb-sample-prob' }, [
            el('span', { class: 'gb-sample-from', text: formatProbability(entry.prob) }),
            ' → ',
            el('strong', { text: fate === 'kept' ? formatProbability(outcome.probs[i]) : fateText[fate] }),
          ]),
        ]);
      }),
    );
    const choices = Math.exp(outcome.entropy);
    summary.textContent =
      `${outcome.kept} of ${entries.length} tokens can be sampled · entropy ${formatNumber(outcome.entropy)} nats ` +
      `(like choosing among ${formatNumber(choices, 1)} equally likely tokens)`;
  }

  return {
    element,
    show(next, settings) {
      entries = next;
      topK.input.max = String(entries.length);
      const tail = tailMass(entries.map((e) => e.prob));
      note.textContent =
        `The inspection keeps the model’s ${entries.length} most likely tokens here, holding ${formatProbability(1 - tail)} ` +
        `of the probability. Top-k therefore stops at ${entries.length}: a sampler with top-k ≤ ${entries.length} cuts ` +
        `the other ${formatProbability(tail)} before anything else, so the numbers above are exact, not estimates.`;
      // Setting a slider's value while it is dragged would fight the pointer; only write what differs.
      const values: [Slider, number][] = [
        [temperature, settings.temperature],
        [topK, Math.min(settings.topK, entries.length)],
        [topP, settings.topP],
      ];
      for (const [s, v] of values) if (Number(s.input.value) !== v) s.input.value = String(v);
      draw(read());
    },
  };
}
