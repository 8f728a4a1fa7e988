// What each cell of the logit-lens grid shows: the lens's top-1 token at that residual point and position,
// and the number its colour encodes in the chosen mode. Pure, so the grid, its export and its tests agree.

import { lensTopK, pieceOf, type TopEntry } from '../protocol/inspection-reading';
import type { Inspection, LensTarget } from '../protocol/inspection';
import type { LensColourMode } from '../protocol/panel-messages';
import { changeScale, colourOf, entropyScale, klScale, probabilityScale, rankScale, textColourOn, type ColourScale, type Rgb } from './colour-scale';
import { lensChanges, type LensBaseline, type LensChange } from './lens-change';
import { formatNats, formatProbability, formatRank, formatSignedBits } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';

/** The token whose probability the target modes follow across layers. */
export interface TargetToken extends TokenPiece {
  /** Exact values at every cell once the host has computed them; until then only the top-k is known. */
  readonly exact: LensTarget | null;
}

export interface TargetAt {
  /** Null when the target is outside this cell's top-k and no exact value is known. */
  readonly prob: number | null;
  /** 0-based; null as for `prob`, and then the rank is at least `k`. */
  readonly rank: number | null;
}

export interface LensCell {
  readonly point: number;
  readonly position: number;
  readonly topId: number;
  /** The top-1 token as the views label it (pieceLabel). */
  readonly text: string;
  readonly topProb: number;
  readonly entropy: number;
  readonly kl: number;
  /** The top-1 is the token that actually comes next in the text. */
  readonly isNextToken: boolean;
  readonly target: TargetAt | null;
  /** Against the baseline, when the grid has one (webview/lens-change.ts); null where no token is followed. */
  readonly change: LensChange | null;
  /** What the colour encodes; NaN when unknown (then `background` is null). */
  readonly value: number;
  readonly background: Rgb | null;
  readonly foreground: string | null;
}

export interface LensGrid {
  readonly points: number;
  readonly positions: number;
  readonly k: number;
  readonly hooks: readonly string[];
  /** The mode actually used: a target mode without a target, or `change` without a baseline, falls back to probability. */
  readonly mode: LensColourMode;
  readonly scale: ColourScale;
  cell(point: number, position: number): LensCell;
  topK(point: number, position: number): TopEntry[];
  label(point: number, position: number): string;
}

/** `change` names what it follows and against what: the legend is the only place a reader learns it. */
export function lensScale(mode: LensColourMode, vocabSize: number, change: { readonly target: TokenPiece | null; readonly baseline: LensBaseline['name'] } | null = null): ColourScale {
  switch (mode) {
    case 'probability':
      return probabilityScale('top-1 probability');
    case 'entropy':
      return entropyScale(Math.log(vocabSize));
    case 'kl':
      return klScale();
    case 'target-probability':
      return probabilityScale('target probability');
    case 'target-rank':
      return rankScale('target rank');
    case 'change': {
      const token = change?.target ? `target ${JSON.stringify(pieceLabel(change.target))}` : 'the next token';
      return changeScale(`change in bits of the lens probability of ${token}, log₂(p shown ÷ p ${change?.baseline ?? 'baseline'})`);
    }
  }
}

/** `baseline`: the run the `change` mode compares with (lensBaseline); without one `change` is not offered. */
export function lensGrid(inspection: Inspection, mode: LensColourMode, target: TargetToken | null, baseline: LensBaseline | null = null): LensGrid {
  const { lens, tokens, pieces } = inspection;
  const [points, positions, k] = lens.topIds.dims;
  const used: LensColourMode = (target === null && mode.startsWith('target')) || (baseline === null && mode === 'change') ? 'probability' : mode;
  const scale = lensScale(used, inspection.model.vocabSize, baseline && { target, baseline: baseline.name });
  const exact = target?.exact && target.exact.id === target.id && sameDims(target.exact.prob.dims, [points, positions]) ? target.exact : null;
  const changeAt = baseline ? lensChanges(inspection, exact, baseline.inspection, target?.id ?? null) : null;

  const targetAt = (point: number, position: number): TargetAt | null => {
    if (!target) return null;
    const at = point * positions + position;
    if (exact) return { prob: exact.prob.data[at], rank: exact.rank.data[at] };
    const ids = lens.topIds.data.subarray(at * k, at * k + k);
    const j = ids.indexOf(target.id);
    return j >= 0 ? { prob: lens.topProbs.data[at * k + j], rank: j } : { prob: null, rank: null };
  };

  const texts = new Map<number, string>();
  const textOf = (id: number): string => {
    let text = texts.get(id);
    if (text === undefined) texts.set(id, (text = pieceLabel(pieceOf(pieces, id))));
    return text;
  };

  const cell = (point: number, position: number): LensCell => {
    const at = point * positions + position;
    const topId = lens.topIds.data[at * k];
    const topProb = lens.topProbs.data[at * k];
    const entropy = lens.entropy.data[at];
    const kl = lens.kl.data[at];
    const t = targetAt(point, position);
    const change = changeAt?.(point, position) ?? null;
    const value = modeValue(used, { topProb, entropy, kl, target: t, change });
    const background = colourOf(scale, value);
    return {
      point,
      position,
      topId,
      text: textOf(topId),
      topProb,
      entropy,
      kl,
      isNextToken: position + 1 < tokens.length && tokens[position + 1].id === topId,
      target: t,
      change,
      value,
      background,
      foreground: background ? textColourOn(background) : null,
    };
  };

  const topK = (point: number, position: number): TopEntry[] => lensTopK(inspection, point, position);

  const label = (point: number, position: number): string => {
    const c = cell(point, position);
    const parts = [
      `${lens.hooks[point]}, position ${position} (${pieceLabel(tokens[position])})`,
      `top-1 ${c.text} ${formatProbability(c.topProb)}${c.isNextToken ? ' (the actual next token)' : ''}`,
      `entropy ${formatNats(c.entropy)}`,
      `KL ${formatNats(c.kl)}`,
    ];
    if (target && c.target) parts.push(`target ${pieceLabel(target)} ${describeTarget(c.target, k)}`);
    if (baseline && c.change) parts.push(describeChange(c.change, baseline.name, pieces, k));
    return parts.join('; ');
  };

  return { points, positions, k, hooks: lens.hooks, mode: used, scale, cell, topK, label };
}

function modeValue(
  mode: LensColourMode,
  v: { topProb: number; entropy: number; kl: number; target: TargetAt | null; change: LensChange | null },
): number {
  switch (mode) {
    case 'probability':
      return v.topProb;
    case 'entropy':
      return v.entropy;
    case 'kl':
      return v.kl;
    case 'target-probability':
      return v.target?.prob ?? Number.NaN;
    case 'target-rank':
      return v.target?.rank ?? Number.NaN;
    case 'change':
      return v.change?.bits ?? Number.NaN;
  }
}

/** `“·fox” 12.0% shown, 3.00% unablated: +2.00 bits`, with “not in the top 10” for a side not known. */
export function describeChange(c: LensChange, baseline: LensBaseline['name'], pieces: Inspection['pieces'], k: number): string {
  const prob = (p: number | null) => (p === null ? `not in the top ${k}` : formatProbability(p));
  const bits = Number.isNaN(c.bits) ? 'change unknown' : `${formatSignedBits(c.bits)}`;
  return `“${pieceLabel(pieceOf(pieces, c.id))}” ${prob(c.shown)} shown, ${prob(c.baseline)} ${baseline}: ${bits}`;
}

export function describeTarget(t: TargetAt, k: number): string {
  if (t.prob === null || t.rank === null) return `not in the top ${k}`;
  return `${formatProbability(t.prob)}, rank ${formatRank(t.rank)}`;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
