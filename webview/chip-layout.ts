// Token chips laid out in rows as text is: the exported Tokens figure's layout, kept apart from drawing so its
// geometry is tested without a browser.

export interface ChipLayout {
  /** Left edge of each chip, from 0. */
  readonly x: readonly number[];
  /** Row of each chip, from 0. */
  readonly row: readonly number[];
  readonly rows: number;
  /** Right edge of the widest row: the figure is as wide as its chips, not as `maxWidth`. */
  readonly width: number;
}

/**
 * Chips of `widths` with `gap` between them, in rows no wider than `maxWidth` (a chip wider than that gets a
 * row of its own), and a new row after each chip that `endsLine` (a newline token) unless it is the last.
 */
export function chipLayout(widths: readonly number[], endsLine: readonly boolean[], maxWidth: number, gap: number): ChipLayout {
  const x: number[] = [];
  const row: number[] = [];
  let left = 0;
  let r = 0;
  let width = 0;
  widths.forEach((w, i) => {
    if (left > 0 && left + w > maxWidth) {
      left = 0;
      r++;
    }
    x.push(left);
    row.push(r);
    width = Math.max(width, left + w);
    left += w + gap;
    if (endsLine[i] && i < widths.length - 1) {
      left = 0;
      r++;
    }
  });
  return { x, row, rows: widths.length === 0 ? 0 : r + 1, width };
}
