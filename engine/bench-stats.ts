// The few statistics the benchmarks print. Percentiles are nearest-rank: with a handful of runs an
// interpolated p90 would suggest more precision than there is.

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Milliseconds or seconds to three decimals, for JSON a reader can scan. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
