// The Compare Completions page: the two continuations of one context side by side, each token tinted by the
// probability its model gave it, with buttons that open either in Explain Completion. Every message from the
// host is validated; the page says when it is ready, and the host (re)sends what it shows.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  ComparisonExplain,
  ComparisonReady,
  ComparisonShow,
  ComparisonStatus,
  ComparisonSteer,
  parseComparisonHostMessage,
  type ComparisonStatusPayload,
  type ComparisonWebviewPayloads,
  type CompletionComparison,
} from '../../protocol/comparison-messages';
import { formatProbability } from '../../protocol/number-format';
import { visibleWhitespace } from '../../protocol/visible-whitespace';
import { colourOf, cssColour, probabilityScale, textColourOn } from '../colour-scale';
import { el, markedPiece, markedText } from '../element-builder';
import { legend } from '../legend';
import { comparisonView, type SideView } from './comparison-model';

interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const scale = probabilityScale('probability the model gave the token where it chose it');

function boot(): void {
  const api = acquireVsCodeApi();
  const post = <K extends keyof ComparisonWebviewPayloads>(type: K, payload: ComparisonWebviewPayloads[K]): void => api.postMessage({ type, payload });

  const model = el('span', { class: 'gb-model' });
  const status = el('div', { class: 'gb-cmp-status', attrs: { role: 'status' } });
  const body = el('div', { class: 'gb-cmp-body' });
  const root = el('div', { class: 'gb-app gb-cmp' }, [
    el('header', { class: 'gb-header' }, [el('span', { class: 'gb-brand' }, [el('span', { class: 'gb-brand-mark' }), 'Compare Completions']), model]),
    status,
    body,
  ]);
  document.body.append(root);

  function showStatus(s: ComparisonStatusPayload): void {
    root.classList.toggle('gb-busy', s.kind === 'running');
    if (s.kind === 'running') {
      status.replaceChildren(el('p', { class: 'gb-progress-text', text: s.message }));
      return;
    }
    body.replaceChildren();
    model.textContent = '';
    if (s.kind === 'failed') {
      status.replaceChildren(el('div', { class: 'gb-banner gb-banner-error' }, [el('span', { class: 'gb-banner-icon', text: '!' }), el('span', { text: s.message })]));
      return;
    }
    const steer = el('vscode-button', { text: 'Steer Completions…' });
    steer.addEventListener('click', () => post(ComparisonSteer, {}));
    status.replaceChildren(
      el('div', { class: 'gb-empty' }, [
        el('div', { class: 'gb-empty-mark' }),
        el('p', { class: 'gb-empty-title', text: 'No steering is set' }),
        el('p', { text: 'Compare Completions shows the text before the cursor continued by the model as it is and by the steered model. Set a steering first; the comparison runs as soon as it is set.' }),
        steer,
      ]),
    );
  }

  function show(c: CompletionComparison): void {
    root.classList.remove('gb-busy');
    status.replaceChildren();
    const view = comparisonView(c);
    model.textContent = c.model.split(/[\\/]/).filter(Boolean).pop() ?? c.model;
    model.title = c.model;
    body.replaceChildren(
      ...(c.randomWeights
        ? [el('div', { class: 'gb-banner gb-banner-warning' }, [el('span', { class: 'gb-banner-icon', text: '!' }), el('span', { text: 'These weights are random (a generated demo model): the continuations show the machinery, not anything GPT-2 learned.' })])]
        : []),
      el('p', { class: 'gb-cmp-steering', text: view.steeringText }),
      el('p', { class: 'gb-cmp-note', text: view.samplingText }),
      el('div', { class: 'gb-cmp-context', attrs: { title: 'The end of the context both continue' } }, [el('span', { class: 'gb-cmp-label', text: 'Context ' }), '…', markedText(visibleWhitespace(c.contextTail), c.contextTail)]),
      el('p', { class: 'gb-cmp-divergence', text: view.divergenceText }),
      el('div', { class: 'gb-cmp-sides' }, view.sides.map(sideSection)),
      legend(scale, [el('span', { class: 'gb-swatch gb-cmp-swatch-diverged' }), 'from where the two diverge']),
    );
  }

  function sideSection(side: SideView): HTMLElement {
    const chips = el('div', { class: 'gb-chips gb-cmp-chips', attrs: { 'aria-label': `${side.heading} continuation` } });
    for (const chip of side.chips) {
      const colour = colourOf(scale, chip.prob);
      const element = el('span', { class: `gb-chip gb-cmp-chip${chip.diverged ? ' gb-cmp-diverged' : ''}${chip.firstDiverged ? ' gb-cmp-first' : ''}`, attrs: { title: chip.title, 'data-prob': chip.prob } }, [
        el('span', { class: 'gb-chip-text' }, [markedPiece(chip.piece)]),
        el('span', { class: 'gb-cmp-prob', text: formatProbability(chip.prob) }),
      ]);
      if (colour) {
        element.style.backgroundColor = cssColour(colour);
        element.style.color = textColourOn(colour);
      }
      chips.append(element);
      if (chip.endsLine) chips.append(el('span', { class: 'gb-line-break' }));
    }
    const explain = el('vscode-button', { text: `Explain ${side.side}`, attrs: { secondary: side.side === 'unsteered', title: side.side === 'steered' ? 'Opens it in the Inspect panel, which reads it with the model as it is (not steered)' : 'Opens it in the Inspect panel' } });
    explain.addEventListener('click', () => post(ComparisonExplain, { side: side.side }));
    return el('section', { class: 'gb-cmp-side', attrs: { 'data-side': side.side } }, [
      el('h2', { class: 'gb-cmp-heading' }, [side.heading, el('span', { class: 'gb-cmp-stats', text: `mean probability ${formatProbability(side.meanProb)}` })]),
      chips,
      el('p', { class: 'gb-cmp-note', text: side.ending }),
      el('div', { class: 'gb-cmp-actions' }, [
        explain,
        ...(side.side === 'steered' ? [el('span', { class: 'gb-cmp-note', text: 'Explained with the model as it is: the Inspect panel does not steer.' })] : []),
      ]),
    ]);
  }

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = parseComparisonHostMessage(event.data);
    if ('error' in message) {
      console.warn(`Glassbox: ignored a malformed message: ${message.error}`);
      return;
    }
    if (message.type === ComparisonShow) show(message.payload);
    else if (message.type === ComparisonStatus) showStatus(message.payload);
  });
  post(ComparisonReady, {});
}

boot();
