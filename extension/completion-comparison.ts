// Compare Completions without vscode: which request continues the text before the cursor (the inline
// completions' prompt rules and settings), and what Explain Completion reads for either continuation.

import type { ComparisonSampling } from '../protocol/comparison-messages';
import type { Steering } from '../protocol/interventions';
import type { CompareParams, CompareResult, Continuation } from '../protocol/model-messages';
import { DEFAULT_CHARS_PER_TOKEN, planPrompt } from './completion-prompt';
import type { CompletionSettings } from './completion-settings';
import { explainCompletion, type CompletionExplanation } from './explain-completion';

/** The seed both runs sample with above temperature 0, so the two differ by the steering, not by chance. */
export const COMPARISON_SEED = 0;
const END_OF_TEXT_ID = 50256;

/** Where the comparison was asked for: the text before the cursor, as the completion provider reads it. */
export interface ComparisonContext {
  readonly documentUri: string;
  /** The cursor's UTF-16 offset in the document. */
  readonly offset: number;
  /** The text before the cursor: all of it, or its last PREFIX_WINDOW_CHARS characters. */
  readonly prefix: string;
}

/**
 * The request for `context`: the prompt an inline completion would read, the same settings, and the whole
 * continuation of maxTokens tokens (not cut at the end of the line, as ghost text is: there is room to read
 * it here). Null when there is no text to continue.
 */
export function comparisonParams(context: ComparisonContext, settings: CompletionSettings, nCtx: number, steering: Steering): CompareParams | null {
  const plan = planPrompt(context.prefix, {
    nCtx,
    maxTokens: settings.maxTokens,
    contextTokens: settings.contextTokens,
    charsPerToken: DEFAULT_CHARS_PER_TOKEN,
    wholeDocument: context.offset === context.prefix.length,
  });
  if (plan.prompt.trim() === '') return null;
  return {
    prompt: plan.prompt,
    maxNewTokens: plan.maxNewTokens,
    temperature: settings.temperature,
    topK: settings.topK,
    topP: settings.topP,
    ...(settings.temperature > 0 ? { seed: COMPARISON_SEED } : {}),
    stopAtNewline: false,
    windowToContext: true,
    steering,
  };
}

export function comparisonSampling(params: CompareParams): ComparisonSampling {
  return { temperature: params.temperature, topK: params.topK, topP: params.topP, seed: params.seed ?? null };
}

/**
 * What the Inspect panel reads to explain one continuation: the prompt as the model read it, then the
 * continuation's tokens up to an end-of-text (which spells no text of its own). Null when none can be shown.
 */
export function explainContinuation(context: ComparisonContext, params: CompareParams, result: CompareResult, continuation: Continuation): CompletionExplanation | null {
  const end = continuation.tokens.findIndex((t) => t.id === END_OF_TEXT_ID);
  const tokens = end < 0 ? continuation.tokens : continuation.tokens.slice(0, end);
  const text = tokens.map((t) => t.text).join('');
  if (text === '') return null;
  return explainCompletion({
    ...context,
    prompt: params.prompt.slice(result.textOffset),
    promptTokens: result.promptTokens,
    tokens,
    text,
    suggestion: text,
  });
}
