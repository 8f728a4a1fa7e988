// A ranked list of next-token candidates with probability bars: what the model expected at a position.
// Shared by the token details and the lens details so a distribution always reads the same way.

import { el, markedPiece } from './element-builder';
import type { TopEntry } from '../protocol/inspection-reading';
import { formatProbability, formatRank } from '../protocol/number-format';
import { pieceLabel, type TokenPiece } from '../protocol/token-piece';

export interface TokenListOptions {
  /** The id to highlight, e.g. the token that actually came next. */
  readonly highlight?: { readonly id: number; readonly label: string } | null;
  /** Shown after the list when the highlighted token is outside it. */
  readonly outside?: { readonly piece: TokenPiece; readonly rank: number; readonly prob: number } | null;
  /** Adds a button to each row with this label; the row's id is in `data-id`. */
  readonly action?: string | null;
}

/** A token as every list and card shows it (pieceLabel), its whitespace marks dimmed. */
export function tokenLabel(piece: TokenPiece, className = 'gb-token'): HTMLElement {
  return el('span', { class: className }, [markedPiece(piece)]);
}

function row(entry: TopEntry, rank: number, max: number, options: TokenListOptions): HTMLElement {
  const bar = el('span', { class: 'gb-bar-fill' });
  bar.style.width = `${(entry.prob / max) * 100}%`;
  const highlighted = options.highlight?.id === entry.id;
  return el('li', { class: `gb-toplist-row${highlighted ? ' gb-toplist-hit' : ''}` }, [
    el('span', { class: 'gb-toplist-rank', text: formatRank(rank) }),
    tokenLabel(entry),
    el('span', { class: 'gb-bar', attrs: { 'aria-hidden': 'true' } }, [bar]),
    el('span', { class: 'gb-toplist-prob', text: formatProbability(entry.prob) }),
    highlighted ? el('span', { class: 'gb-toplist-tag', text: options.highlight?.label ?? '' }) : el('span'),
    options.action
      ? el('button', {
          class: 'gb-link-button',
          text: options.action,
          attrs: { type: 'button', 'data-id': entry.id, 'aria-label': `${options.action}: ${pieceLabel(entry)}` },
        })
      : null,
  ]);
}

export function tokenList(entries: readonly TopEntry[], options: TokenListOptions = {}): HTMLElement {
  const max = Math.max(...entries.map((e) => e.prob), 1e-9);
  const list = el('ol', { class: `gb-toplist${options.action ? ' gb-toplist-actions' : ''}` }, entries.map((entry, j) => row(entry, j, max, options)));
  if (options.outside) {
    const { piece, rank, prob } = options.outside;
    list.append(
      el('li', { class: 'gb-toplist-row gb-toplist-hit gb-toplist-outside' }, [
        el('span', { class: 'gb-toplist-rank', text: formatRank(rank) }),
        tokenLabel(piece),
        el('span', { class: 'gb-bar', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'gb-toplist-prob', text: formatProbability(prob) }),
        el('span', { class: 'gb-toplist-tag', text: options.highlight?.label ?? '' }),
      ]),
    );
  }
  return list;
}
