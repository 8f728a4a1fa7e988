// The completions shown lately, so that the one the user accepted can still be explained once VS Code has
// asked for the next one: accepting ghost text moves the cursor, which at once shows (and stores) a new
// suggestion after it, and the CompletionStore keeps only that newest one.

import type { CompletionStore, LastCompletion } from './completion-store';
import { acceptedRange } from './explain-completion';

/** Reads a document's text in [start, end) (clamped to the document), or null when it is not open. */
export type DocumentReader = (documentUri: string) => ((start: number, end: number) => string) | null;

export interface RememberedCompletion {
  /** Names the completion in a command link (a hover's "Explain it"). */
  readonly id: number;
  readonly completion: LastCompletion;
}

export interface AcceptedCompletion extends RememberedCompletion {
  /** Where its suggestion is in the document. */
  readonly range: { readonly start: number; readonly end: number };
}

const REMEMBERED = 16;

export class CompletionHistory {
  /** Newest first. */
  private readonly entries: RememberedCompletion[] = [];
  private nextId = 1;
  private readonly subscription: { dispose(): void };

  constructor(store: CompletionStore) {
    this.subscription = store.onDidChange((last) => {
      if (last) this.remember(last);
    });
  }

  byId(id: number): LastCompletion | null {
    return this.entries.find((e) => e.id === id)?.completion ?? null;
  }

  /**
   * The newest completion that was accepted and is still in place, in any open document, or only in the
   * given one and covering `offset` (the hover's question).
   */
  accepted(read: DocumentReader, at?: { readonly documentUri: string; readonly offset: number }): AcceptedCompletion | null {
    for (const entry of this.entries) {
      const { completion } = entry;
      if (at && (completion.documentUri !== at.documentUri || at.offset < completion.offset || at.offset >= completion.offset + completion.suggestion.length)) continue;
      const reader = read(completion.documentUri);
      const range = reader ? acceptedRange(completion, reader) : null;
      if (range) return { ...entry, range };
    }
    return null;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private remember(completion: LastCompletion): void {
    this.entries.unshift({ id: this.nextId++, completion });
    this.entries.length = Math.min(this.entries.length, REMEMBERED);
  }
}
