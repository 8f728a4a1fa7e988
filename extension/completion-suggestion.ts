// Where a suggestion is offered and what of the model's continuation is shown as ghost text.

/** 'line': finish the current line. 'lines': the cursor is on an empty line, so the model may write a few. */
export type SuggestionMode = 'line' | 'lines';

/** How GPT-2's end-of-text token reads; text after it belongs to another document. */
const END_OF_TEXT = '<|endoftext|>';
/** The engine decodes each token alone, so a character split across tokens comes out as U+FFFD pieces. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Suggest only where the rest of the line is blank: ghost text before existing text (an auto-closed bracket,
 * the middle of a word) would be inserted in front of it, and GPT-2 knows nothing of what follows the cursor.
 * FIXME: a suffix-aware cut (drop the suggestion's tail that repeats the closing brackets) would allow those.
 */
export function suggestionMode(linePrefix: string, lineSuffix: string): SuggestionMode | null {
  if (lineSuffix.trim() !== '') return null;
  return linePrefix === '' ? 'lines' : 'line';
}

/** The ghost text for a continuation, or '' when nothing of it is worth showing. */
export function shapeSuggestion(generated: string, options: { readonly mode: SuggestionMode; readonly healed: boolean }): string {
  let text = cutAt(cutAt(generated, END_OF_TEXT), REPLACEMENT_CHARACTER);
  if (options.healed) {
    // The user already typed the space the model was asked to write; a continuation without one does not fit.
    if (!text.startsWith(' ')) return '';
    text = text.slice(1);
  }
  if (options.mode === 'line') {
    text = cutAt(cutAt(text, '\n'), '\r');
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
