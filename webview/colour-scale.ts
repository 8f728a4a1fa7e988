// Colour scales for every quantity the panel encodes. All ramps are perceptually uniform (viridis, magma,
// cividis, inferno) so equal steps in value look like equal steps in colour in every theme, and they share
// one convention: the bright end means "expected / confident / close to the model's output".

import { interpolateCividis, interpolateInferno, interpolateMagma, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';
import { formatPercent } from '../protocol/number-format';

export interface Rgb {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface ColourScale {
  /** Legend heading, e.g. "probability of the token". */
  readonly title: string;
  /** t ∈ [0, 1] → CSS colour; the legend draws t = 0 on the left. */
  readonly ramp: (t: number) => string;
  /** Where a value sits on the ramp, clamped to [0, 1]; NaN for a missing value. */
  position(value: number): number;
  readonly ticks: readonly Tick[];
}

const reversed =
  (ramp: (t: number) => string) =>
  (t: number): string =>
    ramp(1 - t);

// Module constants, so the 256-step tables below are built once per ramp, not once per scale.
const magmaReversed = reversed(interpolateMagma);
const cividisReversed = reversed(interpolateCividis);
const infernoReversed = reversed(interpolateInferno);

const clamp01 = (t: number): number => Math.min(1, Math.max(0, t));

function linear(min: number, max: number): (value: number) => number {
  return (value) => (Number.isNaN(value) ? Number.NaN : clamp01((value - min) / (max - min)));
}

export function probabilityScale(title = 'probability'): ColourScale {
  return {
    title,
    ramp: interpolateViridis,
    position: linear(0, 1),
    ticks: [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, label: formatPercent(value) })),
  };
}

/** Surprisal −log₂ p in bits; 20 bits (p ≈ 1e-6) and beyond share the dark end. */
export function surprisalScale(maxBits = 20): ColourScale {
  return {
    title: 'surprisal (bits)',
    ramp: magmaReversed,
    position: linear(0, maxBits),
    ticks: [0, 5, 10, 15, maxBits].map((value) => ({ value, label: value === maxBits ? `≥${value}` : `${value}` })),
  };
}

/** 0-based ranks on a log axis (rank 0 is the most likely token), labelled 1-based. */
export function rankScale(title = 'rank', maxRank = 1000): ColourScale {
  const top = Math.log(maxRank);
  const ticks: Tick[] = [];
  for (let r = 1; r <= maxRank; r *= 10) ticks.push({ value: r - 1, label: r === maxRank ? `≥${r}` : `${r}` });
  return {
    title,
    ramp: cividisReversed,
    position: (rank) => (Number.isNaN(rank) ? Number.NaN : clamp01(Math.log(Math.max(rank, 0) + 1) / top)),
    ticks,
  };
}

/** Entropy in nats, from 0 (certain) to ln(vocabulary size) (uniform). */
export function entropyScale(maxNats: number): ColourScale {
  // Whole-nat ticks read better than quarters of ln(50257) = 10.82.
  const step = maxNats > 8 ? 2 : 1;
  const ticks: Tick[] = [];
  for (let value = 0; value <= maxNats + 1e-9; value += step) ticks.push({ value, label: String(value) });
  return { title: 'entropy (nats)', ramp: magmaReversed, position: linear(0, maxNats), ticks };
}

/** KL(final ‖ lens) in nats; early residual points can exceed any fixed bound, so the top is "≥ max". */
export function klScale(maxNats = 10): ColourScale {
  return {
    title: 'KL(final ‖ lens) (nats)',
    ramp: infernoReversed,
    position: linear(0, maxNats),
    ticks: [0, 2.5, 5, 7.5, maxNats].map((value) => ({ value, label: value === maxNats ? `≥${value}` : `${value}` })),
  };
}

/**
 * A change in bits, log₂(p after / p before), on a diverging ramp: blue where the token became less likely,
 * red where more likely, white where nothing changed; ±`maxBits` and beyond share the ends.
 */
export function changeScale(title: string, maxBits = 4): ColourScale {
  return {
    title,
    ramp: interpolateRdBu,
    // RdBu runs red → blue, so a gain (positive) sits at the red end, t = 0.
    position: (bits) => (Number.isNaN(bits) ? Number.NaN : clamp01(0.5 - bits / (2 * maxBits))),
    ticks: [maxBits, maxBits / 2, 0, -maxBits / 2, -maxBits].map((value) => ({ value, label: `${value === maxBits ? '≥' : value === -maxBits ? '≤' : ''}${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value)}` })),
  };
}

export function attentionScale(): ColourScale {
  return probabilityScale('attention weight');
}

/** Parse the two forms d3-scale-chromatic returns: "#rrggbb" and "rgb(r, g, b)". */
export function parseColour(css: string): Rgb {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return { r: parseInt(hex[1], 16), g: parseInt(hex[2], 16), b: parseInt(hex[3], 16) };
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(css);
  if (rgb) return { r: Number(rgb[1]), g: Number(rgb[2]), b: Number(rgb[3]) };
  throw new Error(`not a colour: ${css}`);
}

export function cssColour({ r, g, b }: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

export const rampSteps = 256;
const tables = new WeakMap<(t: number) => string, Uint8ClampedArray>();

/** The ramp sampled at 256 steps as RGB triples, for painting many cells without parsing strings. */
export function rampTable(ramp: (t: number) => string): Uint8ClampedArray {
  let table = tables.get(ramp);
  if (!table) {
    table = new Uint8ClampedArray(rampSteps * 3);
    for (let i = 0; i < rampSteps; i++) {
      const { r, g, b } = parseColour(ramp(i / (rampSteps - 1)));
      table.set([r, g, b], i * 3);
    }
    tables.set(ramp, table);
  }
  return table;
}

/** The colour of a value, or null when the value is missing (NaN). */
export function colourOf(scale: ColourScale, value: number): Rgb | null {
  const t = scale.position(value);
  if (Number.isNaN(t)) return null;
  const table = rampTable(scale.ramp);
  const i = Math.round(t * (rampSteps - 1)) * 3;
  return { r: table[i], g: table[i + 1], b: table[i + 2] };
}

function luminance({ r, g, b }: Rgb): number {
  const channel = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

// Backgrounds come from 256-step tables, so a few hundred distinct colours cover every cell ever drawn.
const textColours = new Map<number, '#000000' | '#ffffff'>();

/** Black or white, whichever has the higher WCAG contrast ratio on `background`. */
export function textColourOn(background: Rgb): '#000000' | '#ffffff' {
  const key = (background.r << 16) | (background.g << 8) | background.b;
  let colour = textColours.get(key);
  if (!colour) {
    const l = luminance(background);
    colour = (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
    textColours.set(key, colour);
  }
  return colour;
}
