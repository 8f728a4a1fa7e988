// The few statistics the benchmarks print. Percentiles are nearest-rank: with a handful of runs an
// interpolated p90 would suggest more precision than there is.

import { readFileSync, writeFileSync } from 'node:fs';

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Milliseconds or seconds to three decimals, for JSON a reader can scan. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The process's peak resident memory since the last reset, in bytes: Linux's VmHWM, which catches the peak
 * inside a run that sampling after it would miss. null where /proc is not available.
 */
export function peakRss(): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Starts a new peak from the current resident memory (writing 5 to clear_refs resets VmHWM). */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: peakRss() returns null anyway
  }
}
