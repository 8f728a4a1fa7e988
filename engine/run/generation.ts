// Generating a continuation token by token on the engine's own KV cache: the prompt's shared prefix with the
// previous generation is not run again (typing on after a completion shares almost all of it), and each
// step runs one token with the hooks off.

import type { GeneratedToken, GenerationStop } from '../../protocol/model-messages';
import type { Gpt2Session } from './gpt2-session';
import type { KvCache } from './kv-cache';
import type { TokenPiece } from '../../protocol/token-piece';
import { softmaxAt, TokenSampler } from './token-sampler';

export interface GenerateOptions {
  readonly maxNewTokens: number;
  /** 0 (the default) is greedy. */
  readonly temperature?: number;
  /** 0 (the default) keeps every token. */
  readonly topK?: number;
  /** 1 (the default) keeps every token. */
  readonly topP?: number;
  readonly seed?: number;
  /** Checked between tokens: generation stops at the next token boundary once aborted. */
  readonly signal?: AbortSignal;
  /** Stop after a generated token that contains a newline. */
  readonly stopAtNewline?: boolean;
  readonly onToken?: (token: GeneratedToken) => void;
}

export interface Generation {
  readonly promptTokens: number;
  readonly tokens: readonly GeneratedToken[];
  readonly text: string;
  /** Why it ended. */
  readonly stop: GenerationStop;
  readonly seconds: number;
  /** Prompt tokens whose keys and values came from the previous generation's cache instead of a new run. */
  readonly reusedTokens: number;
}

/** Reusing fewer tokens than this is not worth keeping a stale cache's state for. */
const MIN_REUSED_TOKENS = 8;
const END_OF_TEXT_ID = 50256;

/**
 * Continues `ids` on `cache`, which holds what the previous generation read: its shared prefix is kept, the
 * rest forgotten. At least one prompt token always runs, because the first step needs its logits.
 */
export async function generate(session: Gpt2Session, cache: KvCache, ids: readonly number[], options: GenerateOptions, piece: (id: number) => TokenPiece): Promise<Generation> {
  const started = performance.now();
  const room = session.shape.nCtx - ids.length;
  const maxNewTokens = Math.min(options.maxNewTokens, room);
  const ended = (stop: Generation['stop'], tokens: readonly GeneratedToken[], reusedTokens: number): Generation => ({
    promptTokens: ids.length,
    tokens,
    text: tokens.map((t) => t.text).join(''),
    stop,
    seconds: (performance.now() - started) / 1000,
    reusedTokens,
  });
  if (maxNewTokens <= 0) return ended('context-full', [], 0);
  if (options.signal?.aborted) return ended('cancelled', [], 0);

  const shared = cache.sharedPrefix(ids, 1);
  const reused = shared >= MIN_REUSED_TOKENS ? shared : 0;
  cache.truncate(reused);
  const sampler = new TokenSampler({ temperature: options.temperature ?? 0, topK: options.topK ?? 0, topP: options.topP ?? 1 }, options.seed);
  const tokens: GeneratedToken[] = [];
  let pending = ids.slice(reused);
  for (;;) {
    const outputs = await session.run(pending, cache, { logits: 'last' });
    const logits = outputs.logits.data as Float32Array; // [1, 1, vocab]
    const id = sampler.choose(logits);
    const token = { ...piece(id), prob: softmaxAt(logits, id) };
    tokens.push(token);
    options.onToken?.(token);
    if (id === END_OF_TEXT_ID) return ended('end-of-text', tokens, reused);
    if (options.stopAtNewline && token.text.includes('\n')) return ended('newline', tokens, reused);
    if (options.signal?.aborted) return ended('cancelled', tokens, reused);
    if (tokens.length >= maxNewTokens) return ended(maxNewTokens < options.maxNewTokens ? 'context-full' : 'max-tokens', tokens, reused);
    // The chosen token is read on the next step; the last one never is, so the cache ends one short.
    pending = [id];
  }
}
