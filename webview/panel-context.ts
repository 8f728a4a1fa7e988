// What the three tab views share: the inspection shown, the view state, and the ways back to the host.

import type { Inspection } from '../protocol/inspection';
import type { Ablation, AblationSetting, AttributionReport, PatchHook, PatchReport } from '../protocol/interventions';
import type { HeadCatalogue } from '../protocol/head-scores';
import type { HeadWrites } from '../protocol/head-writes';
import type { RouteImportances } from '../protocol/routes';
import type { Float32Tensor } from '../protocol/tensor';
import type { TokenPiece } from '../protocol/token-piece';
import type { AblatedView, AttributedText, ExportSavePayload, InspectionSource, PanelViewState, PinnedView } from '../protocol/panel-messages';
import type { HeadRef } from './attention-layout';
import type { TargetToken } from './lens-cells';

export interface Shown {
  readonly inspection: Inspection;
  readonly source: InspectionSource;
  /** Set when the inspection is of an ablated model: the setting and the unablated baseline. */
  readonly ablated?: AblatedView | null;
  /** Set while a text is pinned as the Compare tab's baseline. */
  readonly pinned?: PinnedView | null;
  /** True while only the tokens of an inspection still running are in (provisional-inspection.ts). */
  readonly provisional?: boolean;
}

/** The shown text's route importances: arrived, asked, or failed. */
export type RoutesStatus = { readonly kind: 'ready'; readonly routes: RouteImportances } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** What a patching sweep measures: the hook it patches and the metric's tokens. */
export interface PatchQuestion {
  readonly hook: PatchHook;
  readonly targetId: number;
  readonly versusId: number | null;
}

/** A patching sweep asked of the host for the shown pair: arrived, running, or failed. */
export type PatchStatus = { readonly kind: 'ready'; readonly report: PatchReport } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** One head's full attention pattern, or a layer's mean ([1, n·(n+1)/2]): at hand, asked of the host, or failed. */
export type HeadPattern = { readonly kind: 'ready'; readonly pattern: Float32Tensor } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** An attribution asked of the host for the shown inspection: arrived, asked, or failed. */
export type WhyStatus = { readonly kind: 'ready'; readonly report: AttributionReport } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** The loaded model's head catalogue: arrived, asked, or failed. */
export type HeadsStatus = { readonly kind: 'ready'; readonly catalogue: HeadCatalogue } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** What a head writes at a position of the shown inspection: arrived, asked, or failed. */
export type HeadWritesStatus = { readonly kind: 'ready'; readonly writes: HeadWrites } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

/** A head of the shown model, and the position it is read at. */
export interface HeadAtPosition {
  readonly layer: number;
  readonly head: number;
  readonly position: number;
}

export type TargetStatus = { readonly kind: 'idle' } | { readonly kind: 'pending' } | { readonly kind: 'failed'; readonly message: string };

export interface PanelContext {
  shown(): Shown | null;
  state(): PanelViewState;
  /** Change the view state: saved for reloads, reported to the host, and every view re-rendered. */
  update(patch: Partial<PanelViewState>): void;
  /** Select a token's text in the editor it came from. */
  reveal(token: number): void;
  /** The lens target with exact values once the host has computed them. */
  lensTarget(): TargetToken | null;
  targetStatus(): TargetStatus;
  /** Ask the host for a target's exact values; `id` when picked from a cell, else the host tokenizes `text`. */
  requestTarget(text: string, id: number | null): void;
  /**
   * A head's full pattern for the shown inspection (or its layer's mean, `head` null): the one the host sent,
   * or asks the host (once) and the views render again when the answer comes.
   */
  headPattern(ref: HeadRef): HeadPattern;
  /** Forget a failed answer for a head and ask the host again. */
  retryHeadPattern(ref: HeadRef): void;
  /**
   * The direct logit attribution of the prediction at `position` of the shown text (or, `of` 'pinned', of the
   * pinned one, in the same model): asks the host once per question, and the views render again when the
   * answer comes.
   */
  attribution(question: { readonly position: number; readonly targetId: number; readonly versusId: number | null }, of?: AttributedText): WhyStatus;
  /** The loaded model's head catalogue: asks the host once per model, and the views render again when it comes. */
  headCatalogue(): HeadsStatus;
  /** What a head writes at a position of the shown inspection: asks the host once per question; views render again when it comes. */
  headWrites(question: HeadAtPosition): HeadWritesStatus;
  /** The units ablated: the ones just asked for while the host runs them, else those of the shown inspection. */
  ablation(): AblationSetting;
  /** Ask the host to show the text with these units ablated (none: the model as it is). */
  setAblation(setting: AblationSetting): void;
  /** Ablate `unit` if it is not, restore it if it is. */
  toggleAblation(unit: Ablation): void;
  /** The single token `text` encodes to (the host tokenizes it); rejects with why when it is not one token. */
  resolveToken(text: string): Promise<TokenPiece>;
  /** The shown text's information-flow importances: asks the host once per inspection; views render again when they come. */
  routes(): RoutesStatus;
  /** Ask the host to save a file a view made itself (beyond the export menu's figure, table and inspection). */
  saveFile(file: ExportSavePayload): void;
  /** Pin the shown text as the Compare tab's baseline, or drop the pin. */
  pin(on: boolean): void;
  /** The sweep for `question` of the shown pair: null until `runPatch` asks for it (sweeps take seconds). */
  patch(question: PatchQuestion): PatchStatus | null;
  runPatch(question: PatchQuestion): void;
}

/** A figure ready to export: an SVG document and its size in CSS pixels. */
export interface Figure {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

/** One tab. The panel calls it only once an inspection is shown, and passes that inspection in. */
export interface PanelView {
  readonly element: HTMLElement;
  /** Draw `shown` with the context's state: after a new inspection, a state change or a theme change. */
  render(shown: Shown): void;
  /** Mark the token under the editor's cursor, or none. */
  setCursor(token: number | null): void;
  figure(shown: Shown): Figure;
  table(shown: Shown): string;
  /**
   * The tab's own data as JSON, in the CLI's shape where the CLI has the command (attribute, patch, routes,
   * heads); tabs without it export the inspection (written by the host).
   */
  json?(shown: Shown): unknown;
}
