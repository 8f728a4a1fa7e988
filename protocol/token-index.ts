// Which token an offset is in: the editor's cursor in the panel, and in the editor itself. Offsets are UTF-16,
// relative to the inspected text, like `Token.start`/`end`.

import type { Token } from './inspection';

export function tokenIndexAt(tokens: readonly Token[], offset: number | null): number | null {
  if (offset === null) return null;
  const i = tokens.findIndex((t) => offset >= t.start && offset < t.end);
  // A cursor just after the last character still belongs to the last token.
  if (i < 0 && tokens.length > 0 && offset === tokens[tokens.length - 1].end) return tokens.length - 1;
  return i < 0 ? null : i;
}
