// The frame around the three views: the heading with the model and the source, the banners (random
// weights, windowed text, errors), progress, the tabs, the export menu and the empty state.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-context-menu/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import type { Backend } from '../protocol/inspection';
import { panelTabs, type ExportFormat, type PanelTab } from '../protocol/panel-messages';
import { el } from './element-builder';
import type { Shown } from './panel-context';

export interface ShellParts {
  readonly root: HTMLElement;
  setTab(tab: PanelTab): void;
  setShown(shown: Shown | null): void;
  setProgress(progress: { message: string; fraction: number | null } | null): void;
  /** While only an inspection's tokens are in, every tab but Tokens says it is still being computed. */
  setPending(pending: boolean): void;
  setError(message: string | null): void;
  setFollow(follow: boolean): void;
}

export interface ShellHandlers {
  onTab(tab: PanelTab): void;
  onExport(format: ExportFormat): void;
  onFollow(follow: boolean): void;
  /** The user cancelled the inspection running. */
  onCancel(): void;
}

const tabTitles: Readonly<Record<PanelTab, string>> = { tokens: 'Tokens', lens: 'Logit lens', attention: 'Attention', why: 'Why', routes: 'Routes', heads: 'Heads', compare: 'Compare' };

/** As the status bar spells them. */
const backendNames: Readonly<Record<Backend, string>> = { cpu: 'CPU', webgpu: 'WebGPU' };

const exportItems: readonly { label: string; value: ExportFormat }[] = [
  { label: 'Figure as PNG', value: 'png' },
  { label: 'Figure as SVG', value: 'svg' },
  { label: 'Table as CSV', value: 'csv' },
  // The Why, Compare, Routes and Heads tabs' own data; the other tabs', the whole inspection.
  { label: 'Data as JSON (CLI format)', value: 'json' },
];

function banner(kind: 'warning' | 'info' | 'error', icon: string): { element: HTMLElement; text: HTMLElement } {
  const text = el('span', { class: 'gb-banner-text' });
  const element = el('div', { class: `gb-banner gb-banner-${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status', hidden: true } }, [
    el('span', { class: 'gb-banner-icon', text: icon, attrs: { 'aria-hidden': 'true' } }),
    text,
  ]);
  return { element, text };
}

/** `ablationBar` sits above the tabs, whose views it changes. */
export function createShell(views: Readonly<Record<PanelTab, HTMLElement>>, ablationBar: HTMLElement, handlers: ShellHandlers): ShellParts {
  const model = el('span', { class: 'gb-model' });
  const sourceName = el('span', { class: 'gb-source' });
  const follow = el('vscode-checkbox', {
    class: 'gb-follow',
    attrs: { label: 'Follow selection', title: 'Inspect again whenever the selection in the editor changes (or the cursor moves to another line).' },
  });
  follow.addEventListener('change', () => handlers.onFollow(follow.checked));

  const random = banner('warning', '⚠');
  const windowed = banner('info', 'ℹ');
  const failure = banner('error', '⊘');

  // Our own bar, not vscode-progress-bar: that one moves its width with a 100 ms transition, and every frame of
  // it repainted the page (with 1,000 chips shown, ~13 ms a frame, ~12 frames a second while the model ran: CPU
  // the model needed, bench:browser --profile). A scaled layer of its own moves without a paint.
  const progressFill = el('div', { class: 'gb-progress-fill' });
  const progressBar = el('div', { class: 'gb-progress-bar', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '1' } }, [progressFill]);
  const progressText = el('span', { class: 'gb-progress-text' });
  const cancel = el('vscode-button', { class: 'gb-progress-cancel', text: 'Cancel', attrs: { secondary: true, title: 'Stop this inspection and keep what the panel showed before' } });
  cancel.addEventListener('click', () => handlers.onCancel());
  const progress = el('div', { class: 'gb-progress', attrs: { hidden: true, role: 'status' } }, [progressBar, progressText, cancel]);

  const menu = el('vscode-context-menu', { class: 'gb-export-menu' });
  menu.data = exportItems.map(({ label, value }) => ({ label, value }));
  const exportButton = el('vscode-button', { class: 'gb-export-button', text: 'Export', attrs: { secondary: true, 'aria-haspopup': 'menu' } });
  exportButton.addEventListener('click', (event) => {
    event.stopPropagation();
    menu.show = !menu.show;
    // The menu answers arrow keys, Enter and Escape only while it has focus.
    if (menu.show) requestAnimationFrame(() => menu.focus());
  });
  menu.addEventListener('vsc-context-menu-select', (event) => {
    const value = (event as CustomEvent<{ value: string }>).detail.value;
    const item = exportItems.find((i) => i.value === value);
    if (item) handlers.onExport(item.value);
  });
  // In the header, not beside the tabs: six tab titles fill a narrow panel's width on their own.
  const exporting = el('div', { class: 'gb-export' }, [exportButton, menu]);
  const header = el('header', { class: 'gb-header' }, [
    el('span', { class: 'gb-brand' }, [el('span', { class: 'gb-brand-mark', attrs: { 'aria-hidden': 'true' } }), 'Glassbox']),
    model,
    sourceName,
    follow,
    exporting,
  ]);

  const tabs = el('vscode-tabs', { class: 'gb-tabs', attrs: { panel: true } });
  const pendingNotes: { readonly view: HTMLElement; readonly note: HTMLElement }[] = [];
  for (const tab of panelTabs) {
    // vscode-tabs assigns the headers' ids itself; `data-tab` names them for tests and tools.
    tabs.append(el('vscode-tab-header', { text: tabTitles[tab], attrs: { 'data-tab': tab } }));
    const note = el('p', { class: 'gb-pending gb-muted', attrs: { hidden: true, role: 'status' }, text: `${tabTitles[tab]}: still being computed for this text. The Tokens tab already shows what the model predicts at each position.` });
    if (tab !== 'tokens') pendingNotes.push({ view: views[tab], note });
    tabs.append(el('vscode-tab-panel', { class: 'gb-tab-panel' }, tab === 'tokens' ? [views[tab]] : [note, views[tab]]));
  }
  // vscode-tabs lays its headers out in one row that overflows a narrow panel; wrapped, all six stay in reach.
  // Its shadow root takes the rule as a constructed sheet, as Lit gives it its own (the panel's CSP allows them).
  const wrapHeaders = new CSSStyleSheet();
  wrapHeaders.replaceSync('.tablist { flex-wrap: wrap; }');
  void tabs.updateComplete.then(() => {
    const shadow = tabs.shadowRoot;
    if (shadow) shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, wrapHeaders];
  });
  tabs.addEventListener('vsc-tabs-select', (event) => {
    const tab = panelTabs[(event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex];
    if (tab) handlers.onTab(tab);
  });

  const empty = el('div', { class: 'gb-empty' }, [
    el('div', { class: 'gb-empty-mark', attrs: { 'aria-hidden': 'true' } }),
    el('p', { class: 'gb-empty-title', text: 'Nothing inspected yet' }),
    el('p', { text: 'Select some text in an editor and run “Glassbox: Inspect Selection” to see how GPT-2 reads it.' }),
  ]);

  const root = el('div', { class: 'gb-app' }, [header, random.element, windowed.element, failure.element, progress, empty, ablationBar, tabs]);

  return {
    root,
    setTab(tab) {
      tabs.selectedIndex = panelTabs.indexOf(tab);
    },
    setShown(shown) {
      empty.hidden = shown !== null;
      exporting.hidden = shown === null;
      tabs.hidden = shown === null;
      header.classList.toggle('gb-header-empty', shown === null);
      if (!shown) return;
      const m = shown.inspection.model;
      // A local model's name is its folder's whole path: the last part names it, as in the status bar.
      const shortName = m.name.split(/[\\/]/).filter(Boolean).pop() ?? m.name;
      model.textContent = `${shortName} · ${m.nLayer} layers × ${m.nHead} heads · ${backendNames[shown.inspection.backend]}`;
      model.title = m.name;
      const name = decodeURIComponent(shown.source.uri.split(/[\\/]/).pop() ?? shown.source.uri);
      sourceName.textContent = name;
      sourceName.title = shown.source.uri;
      random.element.hidden = !shown.source.randomWeights;
      random.text.textContent =
        'These weights are random (a generated demo model). The views show how the machinery works, not anything GPT-2 learned.';
      const dropped = shown.source.windowed?.droppedTokens ?? 0;
      windowed.element.hidden = shown.source.windowed === null;
      windowed.text.textContent =
        `The text was longer than the model’s context of ${m.nCtx} tokens: ${dropped} token${dropped === 1 ? ' was' : 's were'} left out, ` +
        `and the ${shown.inspection.tokens.length} shown are what the model saw.`;
    },
    setFollow(value) {
      follow.checked = value;
    },
    setPending(pending) {
      root.classList.toggle('gb-provisional', pending);
      for (const { view, note } of pendingNotes) {
        view.hidden = pending;
        note.hidden = !pending;
      }
      // An export is of a finished inspection (the host writes the JSON from the one it holds).
      exporting.hidden = pending;
    },
    setProgress(state) {
      progress.hidden = state === null;
      root.classList.toggle('gb-busy', state !== null);
      if (!state) return;
      progressText.textContent = state.message;
      progressBar.classList.toggle('gb-progress-indeterminate', state.fraction === null);
      if (state.fraction === null) progressBar.removeAttribute('aria-valuenow');
      else {
        progressBar.setAttribute('aria-valuenow', state.fraction.toFixed(2));
        progressFill.style.transform = `scaleX(${state.fraction})`;
      }
    },
    setError(message) {
      failure.element.hidden = message === null;
      failure.text.textContent = message ?? '';
    },
  };
}
