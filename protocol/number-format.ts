// How numbers read in the panel. Probabilities span many orders of magnitude in a lens, so small ones keep
// two significant digits instead of rounding to a misleading "0%".

export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p >= 0.9995) return '100%';
  if (p >= 0.1) return `${(p * 100).toFixed(1)}%`;
  if (p >= 1e-4) return `${(p * 100).toPrecision(2)}%`;
  // Below 0.01% a percentage needs too many zeros to read; scientific notation of p itself is clearer.
  if (p > 0) return p.toExponential(1).replace('e-', '×10⁻').replace(/⁻(\d+)$/, (_, d: string) => `⁻${superscript(d)}`);
  return '0%';
}

function superscript(digits: string): string {
  return Array.from(digits, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]).join('');
}

/** Whole percentages for legend ticks: "25%", not "25.0%". */
export function formatPercent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

/** Ranks are 0-based in the protocol (0 = top-1) and 1-based for people. */
export function formatRank(rank: number): string {
  return rank >= 0 ? `#${rank + 1}` : '–';
}

export function formatNats(nats: number): string {
  return Number.isFinite(nats) ? `${nats.toFixed(2)} nats` : '–';
}

export function formatBits(bits: number): string {
  return Number.isFinite(bits) ? `${bits.toFixed(1)} bits` : '∞ bits';
}

/** A change in bits with its sign: "+1.2 bits", "−0.3 bits". */
export function formatSignedBits(bits: number): string {
  return `${bits > 0 ? '+' : bits < 0 ? '−' : '±'}${formatBits(Math.abs(bits))}`;
}

export function formatNumber(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}
