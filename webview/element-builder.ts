// Building DOM from script. The panel's CSP forbids inline style attributes and handlers in markup, so
// everything is made with createElement; styles go through classes or the CSSOM (`element.style`).

import { pieceLabel, type TokenPiece } from '../protocol/token-piece';

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly class?: string;
  readonly text?: string;
  /** Attributes; `null`/`false` leave one out, `true` sets it empty. */
  readonly attrs?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

function setAttrs(element: Element, attrs: ElementProps['attrs']): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.text !== undefined) element.textContent = props.text;
  setAttrs(element, props.attrs);
  append(element, children);
  return element;
}

const svgNs = 'http://www.w3.org/2000/svg';

export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: ElementProps['attrs'] = {}, children: readonly Child[] = []): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  setAttrs(element, attrs);
  append(element, children);
  return element;
}

/** Text with whitespace marks wrapped so CSS can dim them: "·the" → <span class="gb-ws">·</span>the. */
export function markedText(visible: string, original: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const chars = Array.from(original);
  const marks = Array.from(visible);
  let run = '';
  const flush = (): void => {
    if (run) fragment.append(run);
    run = '';
  };
  marks.forEach((mark, i) => {
    if (mark !== chars[i]) {
      flush();
      fragment.append(el('span', { class: 'gb-ws', text: mark }));
    } else run += mark;
  });
  flush();
  return fragment;
}

/** A token's label (pieceLabel) with its whitespace marks wrapped as markedText wraps them; bytes have none. */
export function markedPiece(piece: TokenPiece): Node {
  const label = pieceLabel(piece);
  return piece.bytes ? document.createTextNode(label) : markedText(label, piece.text);
}
