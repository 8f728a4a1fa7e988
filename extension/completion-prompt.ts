// Which text before the cursor becomes the prompt. The host has no tokenizer, so the prompt is aimed at the
// `contextTokens` setting with an estimate in characters per token (learned per document), and cut at a line
// start. Where the estimate falls short and the prompt has more tokens than the context leaves room for, the
// model process keeps its last tokens that fit, also from a line start (CompleteParams.windowToContext), so
// no prompt is ever refused and the whole context can be used.

/** Typical of English prose with GPT-2's tokenizer; code packs fewer characters into a token. */
export const DEFAULT_CHARS_PER_TOKEN = 4;
const MAX_CHARS_PER_TOKEN = 6;
/** Shorter prompts say too little about a document's characters per token. */
const MIN_TOKENS_TO_LEARN = 64;
const MAX_DOCUMENTS_REMEMBERED = 64;

/**
 * How much text before the cursor the provider reads: a prompt aimed at a whole GPT-2 context (1,024 tokens)
 * at the most characters per token the estimate allows, and room for the boundary search.
 */
export const PREFIX_WINDOW_CHARS = 8192;

export interface PromptPlan {
  /** Tokens to generate: the setting, but never more than half the context. */
  readonly maxNewTokens: number;
  /** About `contextTokens` tokens (the model process keeps what fits of it); '' when there is nothing to send. */
  readonly prompt: string;
  /** A trailing space was taken off the prompt; the suggestion must start with it (see healTrailingSpace). */
  readonly healed: boolean;
}

export interface PromptOptions {
  readonly nCtx: number;
  readonly maxTokens: number;
  /** About how many tokens of text the prompt should have (the contextTokens setting). */
  readonly contextTokens: number;
  readonly charsPerToken: number;
  /** `prefix` starts at the document's start, so it needs no cut when it fits. */
  readonly wholeDocument: boolean;
}

export function planPrompt(prefix: string, options: PromptOptions): PromptPlan {
  const maxNewTokens = Math.max(1, Math.min(options.maxTokens, Math.floor(options.nCtx / 2)));
  const room = options.nCtx - maxNewTokens;
  const { text, healed } = healTrailingSpace(prefix);
  const aimed = Math.floor(Math.min(options.contextTokens, room) * options.charsPerToken);
  const prompt = cutPrompt(text, aimed, options.wholeDocument);
  return { maxNewTokens, prompt, healed };
}

/**
 * GPT-2 reads " word" as one token, so a prompt ending in a space asks for a word without its usual leading
 * space, and gets a poor one. After a single typed space we send the text without it and keep only
 * continuations that start with a space (token healing, as in Microsoft's guidance library).
 */
export function healTrailingSpace(prefix: string): { readonly text: string; readonly healed: boolean } {
  return /\S $/.test(prefix) ? { text: prefix.slice(0, -1), healed: true } : { text: prefix, healed: false };
}

/**
 * The last `maxChars` characters of `text`, or fewer: the cut moves forward to a line start, else a word start,
 * when one is within the first quarter of what is kept, so the model does not begin mid-word or mid-line.
 */
export function cutPrompt(text: string, maxChars: number, wholeDocument = true): string {
  if (maxChars <= 0) return '';
  if (wholeDocument && text.length <= maxChars) return text;
  return text.slice(boundaryFrom(text, Math.max(0, text.length - maxChars)));
}

function boundaryFrom(text: string, start: number): number {
  const limit = start + Math.floor((text.length - start) / 4);
  // i = start is a boundary only if we can see the character before it (not at the start of a window).
  for (let i = Math.max(start, 1); i <= limit; i++) if (text[i - 1] === '\n') return i;
  for (let i = Math.max(start, 1); i <= limit; i++) if (/\s/.test(text[i - 1]) && !/\s/.test(text[i])) return i;
  return isLowSurrogate(text.charCodeAt(start)) ? start + 1 : start;
}

/** Characters per token seen in each document's last long prompt, so the next cut is a better estimate. */
export class CharsPerToken {
  private readonly seen = new Map<string, number>();

  of(documentUri: string): number {
    return this.seen.get(documentUri) ?? DEFAULT_CHARS_PER_TOKEN;
  }

  observe(documentUri: string, chars: number, tokens: number): void {
    if (tokens < MIN_TOKENS_TO_LEARN) return;
    this.seen.delete(documentUri);
    this.seen.set(documentUri, Math.min(MAX_CHARS_PER_TOKEN, chars / tokens));
    // A Map iterates in insertion order: the first key is the least recently observed document.
    if (this.seen.size > MAX_DOCUMENTS_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
