// The Brown corpus as NLTK distributes it is tagged text: paragraphs separated by blank lines, one sentence a
// line, tokens `word/tag` separated by spaces, `` and '' for quotes. This turns it back into running English.

/** Tokens written against the one before them: closing punctuation and quotes. */
const ATTACH_LEFT = new Set(['.', ',', ';', ':', '?', '!', ')', ']', '}', "''", "'", '%']);
/** Tokens the next one is written against: opening brackets and quotes. */
const ATTACH_RIGHT = new Set(['(', '[', '{', '``', '`', '$']);
const QUOTES: Record<string, string> = { '``': '"', "''": '"', '`': "'" };

/** One Brown sample file → its paragraphs as lines of plain text. */
export function detokenizeBrown(tagged: string): string {
  return tagged
    .split(/\n\s*\n/)
    .map((block) => detokenizeWords(block.split(/\s+/).filter((t) => t.length > 0).map(untag)))
    .filter((paragraph) => paragraph.length > 0)
    .join('\n');
}

function untag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

function detokenizeWords(words: readonly string[]): string {
  let text = '';
  let glued = true; // at the start, and after an opening token, no space
  for (const word of words) {
    if (!glued && !ATTACH_LEFT.has(word)) text += ' ';
    text += QUOTES[word] ?? word;
    glued = ATTACH_RIGHT.has(word);
  }
  return text;
}
