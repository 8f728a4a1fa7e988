// What the completion benchmarks share: the prose they complete, what the user types on, and one timed
// generation (first token, then the decoding rate after it).

import type { Gpt2Engine } from '../run/gpt2-engine';

export const PROSE =
  'The lighthouse keeper wrote down the weather every morning, though nobody had asked him to for years. ' +
  'Ships no longer needed the lamp, and the harbour office had stopped reading his reports, but the habit ' +
  'kept the days apart. On the first page of each notebook he copied the same sentence from his father: ' +
  'a light is only useful to someone who is not looking at it. ';

/** What the user types after the first suggestion: a few characters, so the prompt's tokens stay a prefix. */
export const TYPED_ON = ' and the';

export interface TimedGeneration {
  readonly firstTokenMs: number;
  /** Tokens per second after the first token: decoding alone, without reading the prompt. */
  readonly decodeRate: number;
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly reusedTokens: number;
}

export async function timedGeneration(engine: Gpt2Engine, prompt: string, maxNewTokens: number): Promise<TimedGeneration> {
  const stamps: number[] = [];
  const started = performance.now();
  const g = await engine.generate(prompt, { maxNewTokens, onToken: () => stamps.push(performance.now()) });
  const decodeMs = stamps[stamps.length - 1] - stamps[0];
  return {
    firstTokenMs: stamps[0] - started,
    decodeRate: stamps.length > 1 ? ((stamps.length - 1) * 1000) / decodeMs : Number.NaN,
    promptTokens: g.promptTokens,
    newTokens: g.tokens.length,
    reusedTokens: g.reusedTokens,
  };
}

/** `n` tokens of a long prose text, from token `from`: another `from` gives a prompt with no shared prefix. */
export function promptsOf(engine: Gpt2Engine): (from: number, n: number) => string {
  const corpus = PROSE.repeat(40);
  const all = engine.tokenize(corpus);
  return (from, n) => corpus.slice(all[from].start, all[from + n - 1].end);
}
