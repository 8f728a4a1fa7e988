import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockHeight, blockSizes, chipMetrics, fillOrder, tokenBlocks, type TokenRange } from '../../webview/token-blocks';

const sizes = { least: 4, most: 8 };
const lengths = (blocks: readonly TokenRange[]): number[] => blocks.map((b) => b.end - b.start);

/** Every token in exactly one block, in order. */
function assertTiles(blocks: readonly TokenRange[], n: number): void {
  assert.equal(blocks[0]?.start ?? 0, 0);
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].start, blocks[i - 1].end, 'blocks follow each other');
  assert.equal(blocks.at(-1)?.end ?? 0, n);
}

test('a block ends at the first line end once it holds `least` tokens, so rows break where they would anyway', () => {
  // Lines of three tokens: "a b c\n".
  const texts = Array.from({ length: 5 }, () => ['a', ' b', ' c\n']).flat();
  const blocks = tokenBlocks(texts, sizes);
  assert.deepEqual(lengths(blocks), [6, 6, 3], 'two lines a block; the last line alone');
  assert.ok(blocks.slice(0, -1).every((b) => texts[b.end - 1].endsWith('\n')), 'every block but the last ends a line');
  assertTiles(blocks, texts.length);
});

test('a line longer than `most` is cut after a sentence near the cut, else at `most`', () => {
  const words = ['One', ' two', ' three', '.', ' Four', ' five', ' six', ' seven', ' eight', ' nine'];
  // The last quarter of 8 is two tokens: "." at index 3 is too far back, so the cut is at 8 exactly.
  assert.deepEqual(lengths(tokenBlocks(words, sizes)), [8, 2]);
  const sentence = ['One', ' two', ' three', ' four', ' five', ' six', '."', ' Seven', ' eight', ' nine'];
  assert.deepEqual(lengths(tokenBlocks(sentence, sizes)), [7, 3], 'after the quoted sentence end');
});

test('short texts are one block; no text, no blocks', () => {
  assert.deepEqual(tokenBlocks(['Hello', ',', ' world', '\n', 'Bye']), [{ start: 0, end: 5 }]);
  assert.deepEqual(tokenBlocks([]), []);
});

test('2,000 tokens of short lines make a handful of blocks, each within the sizes', () => {
  const texts = Array.from({ length: 2000 }, (_, j) => (j % 20 === 14 ? '\n' : ' word'));
  const blocks = tokenBlocks(texts);
  assertTiles(blocks, texts.length);
  assert.ok(blocks.length >= 5 && blocks.length <= 10, `${blocks.length} blocks`);
  assert.ok(lengths(blocks.slice(0, -1)).every((size) => size >= blockSizes.least && size <= blockSizes.most));
});

test('a block is as tall as the rows its chips fill, with an empty row after each line end', () => {
  // Chips 10 px of text + 12 of box, 3 apart: three fill a row of 72 px exactly, a fourth wraps.
  const metrics = { charWidth: 5, minText: 10, chipInline: 12, columnGap: 3, rowHeight: 20, rowGap: 6 };
  assert.equal(blockHeight(['ab', 'cd', 'ef'], 72, metrics), 20);
  assert.equal(blockHeight(['ab', 'cd', 'ef', 'gh'], 72, metrics), 20 + 6 + 20);
  // A line end: its row, the empty break row (two gaps), then the next line's row.
  assert.equal(blockHeight(['ab', '\n', 'cd'], 72, metrics), 20 + 6 + 0 + 6 + 20);
  // A block ending a line still holds the break row under it.
  assert.equal(blockHeight(['ab', '\n'], 72, metrics), 20 + 6);
  // A chip wider than the block takes a row of its own.
  assert.equal(blockHeight(['a'.repeat(30), 'b'], 72, metrics), 20 + 6 + 20);
});

test('chips showing their ids make taller rows; a narrower panel, more of them', () => {
  const texts = Array.from({ length: 100 }, () => ' token');
  const plain = chipMetrics(13, false);
  assert.ok(chipMetrics(13, true).rowHeight > plain.rowHeight);
  assert.ok(blockHeight(texts, 320, plain) > 4 * blockHeight(texts, 1600, plain));
});

test('blocks out of view are filled outwards from it, nearest first and the one below before the one above', () => {
  // Blocks 3 and 4 are in view (filled at once).
  assert.deepEqual(fillOrder(8, 3, 4), [5, 2, 6, 1, 7, 0]);
  assert.deepEqual(fillOrder(3, 0, 0), [1, 2], 'from the top');
  assert.deepEqual(fillOrder(3, 2, 2), [1, 0], 'from the bottom');
  assert.deepEqual(fillOrder(1, 0, 0), []);
});
