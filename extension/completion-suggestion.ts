// Where a suggestion is offered and what of the model's continuation is shown as ghost text.

/** 'line': finish the current line. 'lines': the cursor is on an empty line, so the model may write a few. */
export type SuggestionMode = 'line' | 'lines';

/** How GPT-2's end-of-text token reads; text after it belongs to another document. */
const END_OF_TEXT = '<|endoftext|>';
/** The engine decodes each token alone, so a character split across tokens comes out as U+FFFD pieces. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** Where a suggestion is offered. */
export interface SuggestionPlace {
  readonly mode: SuggestionMode;
  /** What already follows the cursor on its line, trimmed: '' or closing brackets, quotes and semicolons. */
  readonly closing: string;
}

/** What may follow the cursor for a suggestion to be offered before it: what editors auto-close, and a `;`. */
const CLOSING_ONLY = /^[)\]}"'`;\s]*$/;

/**
 * Suggest where the rest of the line is blank, or only closes what the line opened (an auto-closed bracket or
 * quote, a statement's `;`): the ghost text goes before it, and shapeSuggestion ends it where it would close
 * the same. Not before other text (the middle of a word): GPT-2 knows nothing of what follows the cursor.
 */
export function suggestionPlace(linePrefix: string, lineSuffix: string): SuggestionPlace | null {
  const closing = lineSuffix.trim();
  if (!CLOSING_ONLY.test(closing)) return null;
  return { mode: linePrefix === '' && closing === '' ? 'lines' : 'line', closing };
}

/** The ghost text for a continuation, or '' when nothing of it is worth showing. */
export function shapeSuggestion(generated: string, options: SuggestionPlace & { readonly healed: boolean }): string {
  let text = cutAt(cutAt(generated, END_OF_TEXT), REPLACEMENT_CHARACTER);
  if (options.healed) {
    // The user already typed the space the model was asked to write; a continuation without one does not fit.
    if (!text.startsWith(' ')) return '';
    text = text.slice(1);
  }
  if (options.mode === 'line') {
    text = cutBeforeClosing(cutAt(cutAt(text, '\n'), '\r'), options.closing);
  } else {
    // The cursor already sits on an empty line at column 0: blank lines before the first text add nothing.
    text = text.replace(/^(?:[ \t]*\r?\n)+/, '');
  }
  // Trailing whitespace would be invisible in the ghost text yet inserted on accept.
  text = text.trimEnd();
  return text.trim() === '' ? '' : text;
}

function cutAt(text: string, marker: string): string {
  const at = text.indexOf(marker);
  return at < 0 ? text : text.slice(0, at);
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = ')]}';
const QUOTES = '"\'`';

/**
 * `text` up to where it would close what the characters after the cursor already close: a bracket it did not
 * open; a quote of the kind the closing has, outside any bracket of its own; a `;` outside its brackets when
 * the closing has one. The model writes those too (`print(` → `"hi")`), and the line has them already.
 */
function cutBeforeClosing(text: string, closing: string): string {
  if (closing === '') return text;
  const open: string[] = []; // what the text itself must close, innermost last
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const innermost = open.at(-1);
    if (innermost !== undefined && QUOTES.includes(innermost)) {
      if (c === innermost) open.pop(); // inside a string of its own, only its end counts
    } else if (c in OPENERS) open.push(OPENERS[c]);
    else if (QUOTES.includes(c) && closing.includes(c)) {
      if (open.length === 0) return text.slice(0, i);
      open.push(c);
    } else if (CLOSERS.includes(c)) {
      if (open.at(-1) !== c) return text.slice(0, i);
      open.pop();
    } else if (c === ';' && open.length === 0 && closing.includes(';')) return text.slice(0, i);
  }
  return text;
}
