// The Inspect panel's page: builds the shell and the three views, restores the view state VS Code kept,
// validates every message from the host, and tells the host when it is ready for data.

import { packedPatternLength, type LensTarget } from '../protocol/inspection';
import type { HeadRef } from './attention-layout';
import { sameAblation, type AblationSetting } from '../protocol/interventions';
import {
  AblationSet,
  ComparePin,
  PatchRequest,
  PatchResult,
  RoutesRequest,
  RoutesResult,
  TokenResolve,
  TokenResolved,
  AttentionPatternRequest,
  AttentionPatternResult,
  EditorCursor,
  ExportSave,
  InspectionCancel,
  InspectionError,
  InspectionExport,
  InspectionProgress,
  InspectionTokens,
  InspectionShow,
  LensTargetRequest,
  LensTargetResult,
  PanelReady,
  StateChanged,
  TokenReveal,
  WhyAttribute,
  WhyResult,
  HeadsRequest,
  HeadsResult,
  HeadWritesRequest,
  HeadWritesResult,
  parseHostMessage,
  type ExportFormat,
  type HostToWebview,
  type PanelTab,
  type PanelViewState,
} from '../protocol/panel-messages';
import { createAblationBar } from './ablation-bar';
import { createAttentionView } from './attention-view';
import { pieceOf } from '../protocol/inspection-reading';
import type { TokenPiece } from '../protocol/token-piece';
import { tokenIndexAt } from '../protocol/token-index';
import { exportFilename, exportPayload } from './figure-export';
import { createLensView } from './lens-view';
import { provisionalInspection } from './provisional-inspection';
import type { HeadsStatus, HeadWritesStatus, HeadPattern, PanelContext, PanelView, PatchQuestion, PatchStatus, RoutesStatus, Shown, TargetStatus, WhyStatus } from './panel-context';
import { createShell } from './panel-shell';
import { defaultViewState, fitStateTo } from './panel-state';
import { watchTheme } from './theme-colours';
import { createTokensView } from './tokens-view';
import { createWhyView } from './why-view';
import { createHeadsView } from './heads-view';
import { createCompareView } from './compare-view';
import { createRoutesView } from './routes-view';
import { connectToHost } from './vscode-api';

/** How long to wait for `lens/targetResult` before telling the user the model did not answer. */
const targetTimeoutMs = 30_000;

const noAblation: AblationSetting = { ablations: [], mode: 'zero' };

/** A question asked of the host and not yet answered. */
type Pending = { readonly kind: 'pending' };

const patchKey = (q: PatchQuestion): string => `${q.hook}:${q.targetId}:${q.versusId}`;

/** A host's answer as the status a view reads: failed with its message, or what `ready` makes of it. */
function statusOf<T extends object, R>(outcome: { readonly error: string } | T, ready: (answer: T) => R): R | { readonly kind: 'failed'; readonly message: string } {
  return 'error' in outcome ? { kind: 'failed', message: outcome.error } : ready(outcome as T);
}

/** Files the answer to request `requestId` under the question it was asked for; false when none is waiting (a view moved on). */
function settle<S>(asked: Map<string, { readonly requestId: number; readonly status: S }>, requestId: number, status: S): boolean {
  const entry = [...asked].find(([, e]) => e.requestId === requestId);
  if (!entry) return false;
  asked.set(entry[0], { requestId, status });
  return true;
}

/** Heads' patterns asked of the host that the page keeps (2 MB each at 1,024 tokens); the oldest goes first. */
const keptHeadPatterns = 16;

const headKey = (ref: HeadRef): string => `${ref.layer}:${ref.head ?? 'mean'}`;

function boot(): void {
  const channel = connectToHost();
  let state: PanelViewState = channel.savedState() ?? defaultViewState;
  let shown: Shown | null = null;
  /** The last finished inspection shown: what the panel goes back to when one painted provisionally fails. */
  let confirmed: Shown | null = null;
  let exact: LensTarget | null = null;
  let targetStatus: TargetStatus = { kind: 'idle' };
  let pendingTarget: { requestId: number; timer: ReturnType<typeof setTimeout> } | null = null;
  let requestIds = 0;
  /** Heads' patterns of the shown inspection, by headKey: asked for (by request id) or answered. Emptied by each new inspection. */
  let headPatterns = new Map<string, { readonly requestId: number; readonly status: HeadPattern }>();
  /** Attributions asked for the shown inspection or the pinned one, by "of:position:target:versus". Emptied by each new inspection (and pin). */
  let attributions = new Map<string, { readonly requestId: number; readonly status: WhyStatus }>();
  /** What heads write, asked for the shown inspection, by question ("layer:head:position"). Emptied by each new inspection. */
  let headWrites = new Map<string, { readonly requestId: number; readonly status: HeadWritesStatus }>();
  /** The head catalogue of the model that made the shown inspection, by model name. */
  let heads: { readonly model: string; readonly requestId: number; readonly status: HeadsStatus } | null = null;
  let reportTimer: ReturnType<typeof setTimeout> | undefined;
  /** Token texts asked of the host, by request id: resolved or rejected when the answer comes. */
  const resolving = new Map<number, { resolve: (token: TokenPiece) => void; reject: (error: Error) => void }>();
  /** The shown inspection's route importances, asked once per inspection. */
  let routes: { readonly requestId: number; readonly status: RoutesStatus } | null = null;
  /** Patching sweeps asked for the shown pair, by question ("hook:target:versus"). Emptied by each new inspection. */
  let patches = new Map<string, { readonly requestId: number; readonly status: PatchStatus }>();
  /** An ablation asked of the host and not yet shown (the chips show it at once); null when none is pending. */
  let requestedAblation: AblationSetting | null = null;

  const persist = (now = false): void => {
    channel.saveState(state);
    // Sliders change the state many times a second; the host needs only where they come to rest. A toggle
    // the host acts on (Follow selection) is reported at once.
    clearTimeout(reportTimer);
    if (now) channel.post(StateChanged, { state });
    else reportTimer = setTimeout(() => channel.post(StateChanged, { state }), 250);
  };

  const ctx: PanelContext = {
    shown: () => shown,
    state: () => state,
    update(patch) {
      state = { ...state, ...patch };
      persist('followSelection' in patch);
      renderAll();
    },
    reveal(token) {
      // A provisional inspection's offsets are of a text the host does not show yet.
      if (shown?.provisional) return;
      const t = shown?.inspection.tokens[token];
      if (t) channel.post(TokenReveal, { start: t.start, end: t.end });
    },
    lensTarget() {
      const target = state.lensTarget;
      if (!target) return null;
      return { ...target, exact: exact?.id === target.id ? exact : null };
    },
    targetStatus: () => targetStatus,
    requestTarget(text, id) {
      if (pendingTarget) clearTimeout(pendingTarget.timer);
      const requestId = ++requestIds;
      const timer = setTimeout(() => {
        if (pendingTarget?.requestId !== requestId) return;
        pendingTarget = null;
        targetStatus = { kind: 'failed', message: 'the model did not answer' };
        renderAll();
      }, targetTimeoutMs);
      pendingTarget = { requestId, timer };
      targetStatus = { kind: 'pending' };
      channel.post(LensTargetRequest, { requestId, text, id });
      renderAll();
    },
    headPattern(ref) {
      return askOnce(headPatterns, headKey(ref), (requestId) => channel.post(AttentionPatternRequest, { requestId, layer: ref.layer, head: ref.head }));
    },
    retryHeadPattern(ref) {
      const key = headKey(ref);
      if (headPatterns.get(key)?.status.kind !== 'failed') return;
      headPatterns.delete(key);
      renderAll(); // the view asks again
    },
    headCatalogue() {
      const model = shown?.inspection.model.name ?? '';
      if (heads?.model === model) return heads.status;
      const requestId = ++requestIds;
      heads = { model, requestId, status: { kind: 'pending' } };
      channel.post(HeadsRequest, { requestId });
      return heads.status;
    },
    headWrites(question) {
      return askOnce(headWrites, `${question.layer}:${question.head}:${question.position}`, (requestId) => channel.post(HeadWritesRequest, { requestId, ...question }));
    },
    ablation() {
      return requestedAblation ?? shown?.ablated?.setting ?? noAblation;
    },
    setAblation(setting) {
      requestedAblation = setting;
      channel.post(AblationSet, { ablation: setting });
      renderAll();
    },
    toggleAblation(unit) {
      const setting = ctx.ablation();
      const on = setting.ablations.some((a) => sameAblation(a, unit));
      ctx.setAblation({ ...setting, ablations: on ? setting.ablations.filter((a) => !sameAblation(a, unit)) : [...setting.ablations, unit] });
    },
    resolveToken(text) {
      const requestId = ++requestIds;
      channel.post(TokenResolve, { requestId, text });
      return new Promise((resolve, reject) => {
        resolving.set(requestId, { resolve, reject });
        setTimeout(() => {
          if (resolving.delete(requestId)) reject(new Error('the model did not answer'));
        }, targetTimeoutMs);
      });
    },
    routes() {
      if (routes) return routes.status;
      const requestId = ++requestIds;
      routes = { requestId, status: { kind: 'pending' } };
      channel.post(RoutesRequest, { requestId });
      return routes.status;
    },
    pin(on) {
      channel.post(ComparePin, { pin: on });
    },
    saveFile(file) {
      channel.post(ExportSave, file);
    },
    patch(question) {
      return patches.get(patchKey(question))?.status ?? null;
    },
    runPatch(question) {
      const requestId = ++requestIds;
      patches.set(patchKey(question), { requestId, status: { kind: 'pending' } });
      channel.post(PatchRequest, { requestId, ...question });
      renderAll();
    },
    attribution(question, of = 'shown') {
      const key = `${of}:${question.position}:${question.targetId}:${question.versusId}`;
      return askOnce(attributions, key, (requestId) => channel.post(WhyAttribute, { requestId, of, position: question.position, targetId: question.targetId, versusId: question.versusId }));
    },
  };

  /** The status of the question filed under `key` in `asked`; asked of the host (by `send`, with a new request id) the first time. */
  function askOnce<S>(asked: Map<string, { readonly requestId: number; readonly status: S | Pending }>, key: string, send: (requestId: number) => void): S | Pending {
    const known = asked.get(key);
    if (known) return known.status;
    const requestId = ++requestIds;
    asked.set(key, { requestId, status: { kind: 'pending' } });
    send(requestId);
    return { kind: 'pending' };
  }

  function patternArrived(ref: HeadRef, requestId: number, status: HeadPattern): void {
    const key = headKey(ref);
    if (headPatterns.get(key)?.requestId !== requestId) return; // for an inspection no longer shown
    headPatterns.delete(key);
    headPatterns.set(key, { requestId, status });
    const ready = [...headPatterns].filter(([, entry]) => entry.status.kind === 'ready');
    for (const [old] of ready.slice(0, Math.max(0, ready.length - keptHeadPatterns))) headPatterns.delete(old);
    renderAll();
  }

  const views: Record<PanelTab, PanelView> = {
    tokens: createTokensView(ctx),
    lens: createLensView(ctx),
    attention: createAttentionView(ctx),
    why: createWhyView(ctx),
    heads: createHeadsView(ctx),
    routes: createRoutesView(ctx),
    compare: createCompareView(ctx),
  };

  async function save(format: ExportFormat): Promise<void> {
    if (!shown) return;
    try {
      const own = format === 'json' ? views[state.tab].json?.(shown) : undefined;
      if (own !== undefined) channel.post(ExportSave, { format: 'json', filename: exportFilename('json', state.tab, shown, true), data: `${JSON.stringify(own, null, 2)}\n`, encoding: 'utf8' });
      else if (format === 'json') channel.post(InspectionExport, { filename: exportFilename(format, state.tab, shown) });
      else channel.post(ExportSave, await exportPayload(format, state.tab, views[state.tab], shown));
    } catch (error) {
      shell.setError(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const ablationBar = createAblationBar(ctx);
  const shell = createShell(
    { tokens: views.tokens.element, lens: views.lens.element, attention: views.attention.element, why: views.why.element, heads: views.heads.element, routes: views.routes.element, compare: views.compare.element },
    ablationBar.element,
    {
      onTab: (tab) => {
        if (tab !== state.tab) ctx.update({ tab });
      },
      onExport: (format) => void save(format),
      onFollow: (followSelection) => {
        if (followSelection !== state.followSelection) ctx.update({ followSelection });
      },
      onCancel: () => {
        channel.post(InspectionCancel, {});
        shell.setProgress(null);
        restoreConfirmed();
      },
    },
  );
  document.body.append(shell.root);

  /**
   * Render the visible view. Hidden views are not drawn: switching tabs is itself a state change, so a
   * view is always rendered from the current state when it becomes visible.
   */
  function renderAll(): void {
    shell.setTab(state.tab);
    shell.setFollow(state.followSelection);
    ablationBar.render(shown);
    // Only the Tokens tab can draw a provisional inspection; the others say they are waiting (setPending).
    if (shown && !(shown.provisional && state.tab !== 'tokens')) views[state.tab].render(shown);
  }

  /** After an inspection that painted its tokens first failed or was cancelled: what was shown before it. */
  function restoreConfirmed(): void {
    if (!shown?.provisional) return;
    if (confirmed) show(confirmed);
    else {
      shown = null;
      shell.setShown(null);
      shell.setPending(false);
    }
  }

  function show(next: Shown): void {
    shown = next;
    if (!next.provisional) confirmed = next;
    requestedAblation = null;
    headPatterns = new Map();
    attributions = new Map();
    headWrites = new Map();
    patches = new Map();
    routes = null;
    state = fitStateTo(state, next.inspection);
    // An explained completion opens on its first generated token: how likely it was and what it beat.
    const generated = next.source.generated;
    if (generated && generated.end > generated.start) state = { ...state, selectedToken: generated.start };
    const carried = next.inspection.lens.target;
    if (carried && !state.lensTarget) {
      state = { ...state, lensTarget: pieceOf(next.inspection.pieces, carried.id) };
    }
    exact = carried;
    shell.setShown(next);
    shell.setPending(next.provisional === true);
    // The provisional tokens come while the rest is computed: its progress goes on.
    if (!next.provisional) shell.setProgress(null);
    shell.setError(null);
    persist();
    renderAll();
    markOnScreen(next.provisional === true);
    // A target restored from an earlier inspection has no values for this one yet.
    if (!next.provisional && state.lensTarget && carried?.id !== state.lensTarget.id) ctx.requestTarget(state.lensTarget.text, state.lensTarget.id);
  }

  /**
   * A User Timing mark when an inspection's first chips (provisional) or the whole of it reached the screen: at
   * the next frame, the one that paints what was just rendered. DevTools' Performance panel shows them, and the
   * browser benchmark reads them instead of polling the page (polls took the CPU the model needed).
   */
  function markOnScreen(provisional: boolean): void {
    const name = provisional ? 'glassbox:tokens-shown' : 'glassbox:inspection-shown';
    requestAnimationFrame(() => {
      performance.clearMarks(name); // the latest only: a long session must not pile them up
      performance.mark(name);
    });
  }

  function receive(message: HostToWebview): void {
    switch (message.type) {
      case InspectionShow:
        show(message.payload);
        break;
      case InspectionTokens:
        show({ inspection: provisionalInspection(message.payload.reading), source: message.payload.source, provisional: true });
        break;
      case InspectionProgress:
        shell.setProgress(message.payload);
        break;
      case InspectionError:
        shell.setProgress(null);
        restoreConfirmed();
        shell.setError(message.payload.message);
        // An ablation the host could not run is not shown: the chips go back to what is.
        if (requestedAblation) {
          requestedAblation = null;
          renderAll();
        }
        break;
      case EditorCursor: {
        const token = shown ? tokenIndexAt(shown.inspection.tokens, message.payload.offset) : null;
        for (const view of Object.values(views)) view.setCursor(token);
        break;
      }
      case AttentionPatternResult: {
        const { layer, head, requestId, outcome } = message.payload;
        const ref = { layer, head };
        if ('error' in outcome) patternArrived(ref, requestId, { kind: 'failed', message: outcome.error });
        else if (!shown || outcome.pattern.dims[0] !== 1 || outcome.pattern.dims[1] !== packedPatternLength(shown.inspection.tokens.length)) {
          patternArrived(ref, requestId, { kind: 'failed', message: 'the answer was for another inspection' });
        } else patternArrived(ref, requestId, { kind: 'ready', pattern: outcome.pattern });
        break;
      }
      case HeadsResult: {
        const { requestId, outcome } = message.payload;
        if (heads?.requestId !== requestId) break;
        heads = { ...heads, status: statusOf(outcome, (o) => ({ kind: 'ready', catalogue: o.catalogue })) };
        renderAll();
        break;
      }
      case TokenResolved: {
        const { requestId, outcome } = message.payload;
        const waiting = resolving.get(requestId);
        if (!waiting) break;
        resolving.delete(requestId);
        if ('error' in outcome) waiting.reject(new Error(outcome.error));
        else waiting.resolve(outcome);
        break;
      }
      case RoutesResult: {
        const { requestId, outcome } = message.payload;
        if (routes?.requestId !== requestId) break; // for an inspection no longer shown
        routes = { requestId, status: statusOf(outcome, (o) => ({ kind: 'ready', routes: o.routes })) };
        renderAll();
        break;
      }
      case PatchResult: {
        const { requestId, outcome } = message.payload;
        if (settle(patches, requestId, statusOf(outcome, (o) => ({ kind: 'ready', report: o.report })))) renderAll();
        break;
      }
      case HeadWritesResult: {
        const { requestId, outcome } = message.payload;
        if (settle(headWrites, requestId, statusOf(outcome, (o) => ({ kind: 'ready', writes: o.writes })))) renderAll();
        break;
      }
      case WhyResult: {
        const { requestId, outcome } = message.payload;
        if (settle(attributions, requestId, statusOf(outcome, (o) => ({ kind: 'ready', report: o.report })))) renderAll();
        break;
      }
      case LensTargetResult: {
        if (pendingTarget?.requestId !== message.payload.requestId) break;
        clearTimeout(pendingTarget.timer);
        pendingTarget = null;
        const { outcome } = message.payload;
        const [points, positions] = shown?.inspection.lens.entropy.dims ?? [0, 0];
        if ('error' in outcome) targetStatus = { kind: 'failed', message: outcome.error };
        else if (outcome.target.prob.dims[0] !== points || outcome.target.prob.dims[1] !== positions) {
          targetStatus = { kind: 'failed', message: 'the answer was for another inspection' };
        } else {
          targetStatus = { kind: 'idle' };
          exact = outcome.target;
          // A target mode stays, and so does `change`, which then follows the target.
          const lensColour = state.lensColour.startsWith('target') || state.lensColour === 'change' ? state.lensColour : 'target-probability';
          state = { ...state, lensTarget: outcome.piece, lensColour };
          persist();
        }
        renderAll();
        break;
      }
    }
  }

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = parseHostMessage(event.data);
    if ('error' in message) {
      console.error('Glassbox: ignoring a malformed message from the host:', message.error);
      return;
    }
    receive(message);
  });

  watchTheme(renderAll);
  shell.setTab(state.tab);
  shell.setShown(null);
  channel.post(PanelReady, {});
}

boot();
