// How the Tokens tab cuts a long text into blocks of chips, and how tall a block will be before the browser has
// laid it out. Each block is a box the browser skips while it is off screen (`content-visibility: auto`), so at
// 1,000–2,000 tokens only the blocks near the view are styled, laid out and painted. A block wraps its own
// chips, so a row cannot run on from one block into the next: blocks end where the text's lines end, where the
// row breaks anyway, and only a line too long for one block is cut — after a sentence where one ends near the
// cut, so the short row reads as the end of a sentence rather than of a line.

import { endsLine } from '../protocol/visible-whitespace';
import { chipLayout } from './chip-layout';

/** Tokens `start` to `end` (exclusive) of the text. */
export interface TokenRange {
  readonly start: number;
  readonly end: number;
}

export interface BlockSizes {
  /** A block ends at the first line end once it holds this many tokens… */
  readonly least: number;
  /** …and a line is cut when a block reaches this many without one. */
  readonly most: number;
}

// Measured with webview/dev/tokens-bench.ts: each block the browser starts or stops skipping as the text
// scrolls costs a pass over all the page draws, so larger blocks scroll more smoothly; the browser draws a
// screen or so beyond the view anyway, so smaller ones would save little on a new text. 256 tokens are about
// twenty rows at 1,400 px and eighty at 320.
export const blockSizes: BlockSizes = { least: 256, most: 640 };

/** A token that ends a sentence: "." or "?" or "!", perhaps followed by closing quotes or brackets. */
const sentenceEnd = /[.!?]["'”’)\]]*$/;

export function tokenBlocks(texts: readonly string[], sizes: BlockSizes = blockSizes): TokenRange[] {
  const blocks: TokenRange[] = [];
  let start = 0;
  for (let j = 0; j < texts.length; j++) {
    const size = j + 1 - start;
    let end: number | null = null;
    if (size >= sizes.least && endsLine(texts[j])) end = j + 1;
    else if (size >= sizes.most) end = cutAt(texts, start, j + 1, sizes.most);
    if (end === null) continue;
    blocks.push({ start, end });
    start = end;
  }
  if (start < texts.length) blocks.push({ start, end: texts.length });
  return blocks;
}

/** Where to cut a line that fills `start`–`end`: after the last sentence in the last quarter of `most`, else at `end`. */
function cutAt(texts: readonly string[], start: number, end: number, most: number): number {
  for (let j = end - 1; j >= Math.max(start, end - Math.floor(most / 4)); j--) if (sentenceEnd.test(texts[j])) return j + 1;
  return end;
}

/** The chips' box in px, as `.gb-chip` and `.gb-chip-block` in media/panel.css draw them. */
export interface ChipMetrics {
  /** Of the monospace font a chip's text is set in. */
  readonly charWidth: number;
  /** The narrowest a chip's text is laid out. */
  readonly minText: number;
  /** Padding and border across a chip. */
  readonly chipInline: number;
  readonly columnGap: number;
  readonly rowHeight: number;
  readonly rowGap: number;
}

/**
 * The metrics for chips set in a `fontPx` monospace font; `ids` when each chip shows its id under its text.
 * Monospace fonts' advance is 0.55–0.6 em; a little over is better, as a block guessed too short moves the
 * text below it further when the browser lays it out.
 */
export function chipMetrics(fontPx: number, ids: boolean): ChipMetrics {
  const line = 1.25 * fontPx;
  return {
    charWidth: 0.6 * fontPx,
    minText: 12,
    chipInline: 12,
    columnGap: 3,
    rowHeight: line + 8 + (ids ? 0.7 * line + 2 : 0),
    rowGap: 6,
  };
}

/**
 * The height, in px, of the chips of `texts` (tokens as the text has them) laid out `width` px wide: rows filled
 * the way flex-wrap fills them (chipLayout, as the exported figure lays them out), and after each line end the
 * gap of the empty row `.gb-line-break` makes. A whitespace
 * character shows as one mark, so a token's length is its characters'.
 */
export function blockHeight(texts: readonly string[], width: number, metrics: ChipMetrics): number {
  const { charWidth, minText, chipInline, columnGap, rowHeight, rowGap } = metrics;
  const widths = texts.map((text) => Math.max(minText, Array.from(text).length * charWidth) + chipInline);
  const ends = texts.map(endsLine);
  const rows = Math.max(1, chipLayout(widths, ends, width, columnGap).rows);
  const breaks = ends.filter(Boolean).length;
  return rows * rowHeight + (rows - 1 + breaks) * rowGap;
}

/**
 * The blocks of `count` but `first`–`last` (the ones in view, filled at once) in the order to fill them in
 * later frames: outwards from the view, nearest first, the one below before the one above.
 */
export function fillOrder(count: number, first: number, last: number): number[] {
  const order: number[] = [];
  for (let d = 1; first - d >= 0 || last + d < count; d++) {
    if (last + d < count) order.push(last + d);
    if (first - d >= 0) order.push(first - d);
  }
  return order;
}
