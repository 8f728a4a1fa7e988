// The Tokens tab's chips: one per token of the text, coloured by how the model rated it, and a last one for what
// the model expects next. Made for texts as long as the model's context (1,024 tokens, and the panel can show
// more): the chips sit in blocks the browser skips while they are off screen (token-blocks.ts); a new text
// fills the blocks in view at once and the others one an idle moment after, so it paints sooner and without
// one long task; an inspection of the same tokens (the finished one after the tokens painted first, an
// ablation) keeps the chips and only retitles and recolours them; and selecting, the editor's cursor and the
// tab stop touch the chips they leave and reach, not all of them.

import type { Inspection, Token } from '../protocol/inspection';
import { finalTopK, surprisalBits } from '../protocol/inspection-reading';
import { formatBits, formatProbability, formatRank, formatSignedBits } from '../protocol/number-format';
import type { GeneratedSpan, TokenColourMode } from '../protocol/panel-messages';
import { pieceLabel } from '../protocol/token-piece';
import { endsLine } from '../protocol/visible-whitespace';
import { colourOf, cssColour, textColourOn } from './colour-scale';
import { el, markedPiece } from './element-builder';
import { isGenerated } from './generated-span';
import { blockHeight, chipMetrics, fillOrder, tokenBlocks, type TokenRange } from './token-blocks';
import { tokenScale, tokenValue } from './token-colouring';

/** What the chips show. */
export interface ChipsShown {
  readonly inspection: Inspection;
  /** The same tokens in the unablated model, when the inspection is of an ablated one. */
  readonly baseline: Inspection | null;
  /** The tokens the model wrote, when the inspection explains a completion. */
  readonly span: GeneratedSpan | null;
  readonly mode: TokenColourMode;
}

export interface TokenChips {
  /** The list of chips (a listbox; chip j has `data-index` j, the "next?" chip index n). */
  readonly element: HTMLElement;
  show(shown: ChipsShown): void;
  /** Mark the selected chip, or none; it becomes the list's one tab stop (the first chip when none is). */
  select(index: number | null): void;
  /** Mark the chip of the token under the editor's cursor, or none, and scroll it into view. */
  setCursor(index: number | null): void;
  showIds(on: boolean): void;
}

function chipTitle({ inspection, baseline, span }: ChipsShown, j: number): string {
  const token = inspection.tokens[j];
  const head = `“${pieceLabel(token)}” · id ${token.id} · position ${j}`;
  const generated = isGenerated(span, j) ? '\nGenerated: the model wrote this token.' : '';
  if (j === 0) return `${head}\nThe first token: nothing predicted it.${generated}`;
  const prob = inspection.next.prob.data[j - 1];
  const rank = inspection.next.rank.data[j - 1];
  const model = baseline ? 'The ablated model' : 'The model';
  const line = `${head}\n${model} gave it ${formatProbability(prob)} (rank ${formatRank(rank)}, ${formatBits(surprisalBits(prob))}).`;
  if (!baseline) return line + generated;
  const before = baseline.next.prob.data[j - 1];
  return `${line}\nUnablated: ${formatProbability(before)} (rank ${formatRank(baseline.next.rank.data[j - 1])}); change ${formatSignedBits(Math.log2(prob / before))}.${generated}`;
}

/** Chips made for `made` show `tokens` as well: the same pieces in the same order (offsets are not shown). */
function sameChips(made: readonly Token[], tokens: readonly Token[]): boolean {
  return made.length === tokens.length && made.every((t, j) => t.id === tokens[j].id && t.text === tokens[j].text);
}

/**
 * Chip j for `token`, a copy of `prototype` (a chip with its two spans and every attribute but its index):
 * copying is about twice as fast as building, which counts at 2,000 chips.
 */
function tokenChip(prototype: HTMLElement, token: Token, j: number): HTMLElement {
  const chip = prototype.cloneNode(true) as HTMLElement;
  chip.dataset.index = String(j);
  const [text, id] = chip.children;
  text.append(markedPiece(token));
  id.textContent = String(token.id);
  return chip;
}

/** A mark that at most one chip carries at a time: selected, under the cursor, the tab stop. */
interface SingleMark {
  /** Touches the chip it leaves and the one it reaches, not the others. */
  move(index: number | null): void;
  /** On chips just made, which carry no marks yet. */
  remark(): void;
}

function singleMark(chips: () => readonly (HTMLElement | undefined)[], apply: (chip: HTMLElement, on: boolean) => void): SingleMark {
  let at: number | null = null;
  const set = (index: number | null, on: boolean): void => {
    const chip = index === null ? undefined : chips()[index];
    if (chip) apply(chip, on);
  };
  return {
    move(index: number | null): void {
      if (index === at) return;
      set(at, false);
      at = index;
      set(at, true);
    },
    remark(): void {
      set(at, true);
    },
  };
}

/** A block of chips, made empty: filled at once when in view, in an idle moment after when not. */
interface Block {
  readonly element: HTMLElement;
  readonly range: TokenRange;
  filled: boolean;
}

export function createTokenChips(onChoose: (index: number) => void): TokenChips {
  const element = el('div', { class: 'gb-chips', attrs: { role: 'listbox', 'aria-label': 'Tokens of the inspected text' } });
  const prototype = el('div', { class: 'gb-chip', attrs: { role: 'option', tabindex: -1, 'aria-selected': 'false' } }, [
    el('span', { class: 'gb-chip-text' }),
    el('span', { class: 'gb-chip-id', attrs: { 'aria-hidden': 'true' } }),
  ]);
  /** The tokens the chips were made for; null before the first text. */
  let made: readonly Token[] | null = null;
  let blocks: Block[] = [];
  /** Chip j for token j, then the "next?" chip at index n: each once its block is filled. */
  let chips: (HTMLElement | undefined)[] = [];
  /** Where the "next?" chip shows the model's guess, once its block is filled. */
  let guess: HTMLElement | null = null;
  /** Blocks still empty, in the order to fill them. */
  let unfilled: Block[] = [];
  let idle = 0;
  /** What the chips show: every filled chip is titled and coloured for it. */
  let current: ChipsShown | null = null;
  let ids = false;
  /** The list's content width when last laid out: 0 until it is, or while its tab is hidden. */
  let width = 0;

  const selected = singleMark(() => chips, (chip, on) => {
    chip.classList.toggle('gb-selected', on);
    chip.setAttribute('aria-selected', String(on));
  });
  const cursor = singleMark(() => chips, (chip, on) => chip.classList.toggle('gb-cursor', on));
  const tabStop = singleMark(() => chips, (chip, on) => {
    chip.tabIndex = on ? 0 : -1;
  });

  /**
   * How tall each block will be, for the blocks not yet filled or laid out (`.gb-chip-block` in panel.css).
   * Good guesses keep the scroll bar from jumping.
   */
  function guessHeights(): void {
    if (width <= 0 || !made) return;
    const metrics = chipMetrics(parseFloat(getComputedStyle(element).fontSize) || 13, ids);
    const texts = made.map((t) => t.text);
    for (const { element: block, range } of blocks) {
      const height = blockHeight(texts.slice(range.start, range.end), width, metrics);
      block.style.setProperty('--gb-block-guess', `${Math.ceil(height)}px`);
    }
  }

  function title(shown: ChipsShown, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const chip = chips[j];
      if (!chip) continue;
      chip.title = chipTitle(shown, j);
      chip.classList.toggle('gb-chip-generated', isGenerated(shown.span, j));
    }
  }

  function paint({ inspection, baseline, mode }: ChipsShown, from: number, to: number): void {
    const scale = tokenScale(mode);
    for (let j = from; j < to; j++) {
      const chip = chips[j];
      if (!chip) continue;
      const colour = colourOf(scale, tokenValue(inspection.next, j, mode, baseline?.next));
      chip.classList.toggle('gb-chip-none', colour === null);
      chip.style.backgroundColor = colour ? cssColour(colour) : '';
      chip.style.color = colour ? textColourOn(colour) : '';
    }
  }

  function showGuess(inspection: Inspection): void {
    if (!guess) return;
    const top = finalTopK(inspection, inspection.tokens.length - 1)[0];
    guess.replaceChildren(markedPiece(top));
  }

  function fill(block: Block): void {
    if (!made || block.filled) return;
    const n = made.length;
    const { start, end } = block.range;
    const children: HTMLElement[] = [];
    for (let j = start; j < end; j++) {
      const chip = tokenChip(prototype, made[j], j);
      chips[j] = chip;
      children.push(chip);
      if (endsLine(made[j].text)) children.push(el('span', { class: 'gb-line-break', attrs: { 'aria-hidden': 'true' } }));
    }
    if (end === n) {
      guess = el('em');
      chips[n] = el('div', {
        class: 'gb-chip gb-chip-next',
        attrs: { role: 'option', 'data-index': n, tabindex: -1, 'aria-selected': 'false', title: 'What the model expects after the last token' },
      }, [el('span', { class: 'gb-chip-text' }, ['next? ', guess])]);
      children.push(chips[n]);
    }
    block.element.append(...children);
    block.filled = true;
    if (current) {
      title(current, start, end);
      paint(current, start, end);
      if (end === n) showGuess(current.inspection);
    }
    for (const mark of [selected, cursor, tabStop]) mark.remark();
  }

  /** Fill the block holding chip `index` now, if it is not yet (the keyboard or the cursor went there). */
  function reach(index: number): HTMLElement | undefined {
    const block = blocks.find((b) => index < b.range.end) ?? blocks.at(-1);
    if (block && !block.filled) {
      fill(block);
      unfilled = unfilled.filter((b) => b !== block);
    }
    return chips[index];
  }

  /** One block an idle moment: the frame after draws it alone, if it is near enough the view to draw at all. */
  function fillNext(): void {
    const block = unfilled.shift();
    if (block) fill(block);
    idle = unfilled.length > 0 ? requestIdleCallback(fillNext) : 0;
  }

  /** The first and last blocks in the window (laid out empty, which is quick); the first alone when none is, as in a hidden tab. */
  function inView(): [number, number] {
    const seen = blocks.flatMap((block, b) => {
      const { top, bottom } = block.element.getBoundingClientRect();
      return bottom > 0 && top < innerHeight ? [b] : [];
    });
    return seen.length > 0 ? [seen[0], seen[seen.length - 1]] : [0, 0];
  }

  function build(tokens: readonly Token[]): void {
    cancelIdleCallback(idle);
    made = tokens;
    chips = Array.from({ length: tokens.length + 1 }, () => undefined);
    guess = null;
    // `none`: the options belong to the listbox; a block is only for the browser.
    blocks = tokenBlocks(tokens.map((t) => t.text)).map((range) => ({
      element: el('div', { class: 'gb-chip-block', attrs: { role: 'none' } }),
      range,
      filled: false,
    }));
    guessHeights();
    element.replaceChildren(...blocks.map((b) => b.element));
    const [first, last] = inView();
    for (let b = first; b <= last; b++) fill(blocks[b]);
    unfilled = fillOrder(blocks.length, first, last).map((b) => blocks[b]);
    // Idle comes once the next frame has drawn the blocks in view.
    idle = unfilled.length > 0 ? requestIdleCallback(fillNext) : 0;
  }

  function focusChip(index: number): void {
    const at = Math.max(0, Math.min(chips.length - 1, index));
    const chip = reach(at);
    tabStop.move(at);
    chip?.focus();
  }

  element.addEventListener('click', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('.gb-chip');
    if (chip) onChoose(Number(chip.dataset.index));
  });
  element.addEventListener('keydown', (event) => {
    const chip = (event.target as Element).closest<HTMLElement>('.gb-chip');
    if (!chip) return;
    const index = Number(chip.dataset.index);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      const step = moves[event.key];
      focusChip(Number.isFinite(step) ? index + step : step > 0 ? chips.length - 1 : 0);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onChoose(index);
    }
  });
  // Lives as long as the page, as the list does.
  new ResizeObserver(([entry]) => {
    const now = entry.contentRect.width;
    if (Math.abs(now - width) < 1) return;
    width = now;
    guessHeights();
  }).observe(element);

  return {
    element,
    show(shown) {
      const before = current;
      current = shown;
      const { inspection, baseline, span, mode } = shown;
      const n = inspection.tokens.length;
      if (!made || !sameChips(made, inspection.tokens)) {
        build(inspection.tokens);
        return;
      }
      if (before?.inspection !== inspection || before.baseline !== baseline || before.span !== span) title(shown, 0, n);
      if (before?.inspection !== inspection || before.baseline !== baseline || before.mode !== mode) paint(shown, 0, n);
      if (before?.inspection !== inspection) showGuess(inspection);
    },
    select(index) {
      selected.move(index);
      tabStop.move(index ?? 0);
    },
    setCursor(index) {
      cursor.move(index);
      if (index !== null) reach(index)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    },
    showIds(on) {
      if (on === ids) return;
      ids = on;
      element.classList.toggle('gb-show-ids', on);
      guessHeights();
    },
  };
}
