// Token text as a reader should see it: GPT-2 folds spaces and newlines into tokens, and a chip showing
// " the" as " the" hides exactly the detail BPE is about. The marks match VS Code's "render whitespace".

const marks: Readonly<Record<string, string>> = {
  ' ': '·',
  '\n': '⏎',
  '\t': '→',
  '\r': '␍',
  '\u00a0': '⍽',
};

/** `text` with whitespace and control characters replaced by visible marks (one mark per character). */
export function visibleWhitespace(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch in marks) out += marks[ch];
    // Unicode's Control Pictures block has one picture per C0 control, at U+2400 + code.
    else if (code < 0x20) out += String.fromCodePoint(0x2400 + code);
    else if (code === 0x7f) out += '␡';
    else out += ch;
  }
  return out;
}

const unmarks: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(marks).map(([ch, mark]) => [mark, ch]));

/**
 * Text typed in the marks the views show, back to the characters: "·Paris" is " Paris". (A literal mark
 * character cannot be typed this way; such tokens are picked from the lists instead.)
 */
export function fromVisibleWhitespace(text: string): string {
  return Array.from(text, (ch) => unmarks[ch] ?? ch).join('');
}

/** Whether a token ends a line of the text, so a view laying tokens out as text breaks after it. */
export function endsLine(text: string): boolean {
  return text.endsWith('\n');
}
