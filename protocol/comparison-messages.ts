// Messages between the extension host and the Compare Completions webview, `{type, payload}` like the Inspect
// panel's (panel-messages.ts), validated on both sides where they arrive.

import { boolean, finite, integer, nullable, oneOf, record, string, type Reader } from './guards';
import type { Steering } from './interventions';
import { continuation, steering } from './model-message-guards';
import type { Continuation } from './model-messages';
import { parseWith, type MessageOf } from './panel-messages';

/** The settings both continuations were generated with: the inline completions' own. */
export interface ComparisonSampling {
  /** 0 is greedy: the likeliest token every step, so the same context always gives the same pair. */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  /** The seed both runs sample with when the temperature is above 0; null when greedy. */
  readonly seed: number | null;
}

/** One context continued by the model as it is and with the steering. */
export interface CompletionComparison {
  readonly model: string;
  /** A generated demo model: its continuations show the machinery, not anything learned. */
  readonly randomWeights: boolean;
  readonly steering: Steering;
  /** The last characters of the context both continue, for the reader's bearings. */
  readonly contextTail: string;
  readonly sampling: ComparisonSampling;
  readonly unsteered: Continuation;
  readonly steered: Continuation;
}

export const COMPARED_SIDES = ['unsteered', 'steered'] as const;
export type ComparedSide = (typeof COMPARED_SIDES)[number];

// ---------------------------------------------------------------------------------------------------------
// host → webview

/** host → webview: a comparison to show. */
export const ComparisonShow = 'comparison/show';
/** host → webview: what the view says instead of a comparison: running, failed, or no steering to compare with. */
export const ComparisonStatus = 'comparison/status';
export type ComparisonStatusPayload =
  | { readonly kind: 'running'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'no-steering' };

export interface ComparisonHostPayloads {
  readonly [ComparisonShow]: CompletionComparison;
  readonly [ComparisonStatus]: ComparisonStatusPayload;
}

// ---------------------------------------------------------------------------------------------------------
// webview → host

/** webview → host: the page listens; the host (re)sends what it shows. */
export const ComparisonReady = 'comparison/ready';
/** webview → host: open one continuation in Explain Completion (the Inspect panel). */
export const ComparisonExplain = 'comparison/explain';
/** webview → host: run Steer Completions… (offered when no steering is set). */
export const ComparisonSteer = 'comparison/steer';

export interface ComparisonWebviewPayloads {
  readonly [ComparisonReady]: Readonly<Record<string, never>>;
  readonly [ComparisonExplain]: { readonly side: ComparedSide };
  readonly [ComparisonSteer]: Readonly<Record<string, never>>;
}

export type ComparisonHostMessage = MessageOf<ComparisonHostPayloads>;
export type ComparisonWebviewMessage = MessageOf<ComparisonWebviewPayloads>;

// ---------------------------------------------------------------------------------------------------------
// Validation

const sampling: Reader<ComparisonSampling> = (v, p) => {
  const f = record(v, p);
  return {
    temperature: finite(f.temperature, `${p}.temperature`),
    topK: integer(f.topK, `${p}.topK`, 0),
    topP: finite(f.topP, `${p}.topP`),
    seed: nullable((x, q) => integer(x, q, 0))(f.seed, `${p}.seed`),
  };
};

const empty = (v: unknown, p: string): Readonly<Record<string, never>> => {
  record(v, p);
  return {};
};

const hostReaders: { readonly [K in keyof ComparisonHostPayloads]: Reader<ComparisonHostPayloads[K]> } = {
  [ComparisonShow]: (v, p) => {
    const f = record(v, p);
    return {
      model: string(f.model, `${p}.model`),
      randomWeights: boolean(f.randomWeights, `${p}.randomWeights`),
      steering: steering(f.steering, `${p}.steering`),
      contextTail: string(f.contextTail, `${p}.contextTail`),
      sampling: sampling(f.sampling, `${p}.sampling`),
      unsteered: continuation(f.unsteered, `${p}.unsteered`),
      steered: continuation(f.steered, `${p}.steered`),
    };
  },
  [ComparisonStatus]: (v, p) => {
    const f = record(v, p);
    const kind = oneOf(['running', 'failed', 'no-steering'] as const)(f.kind, `${p}.kind`);
    return kind === 'no-steering' ? { kind } : { kind, message: string(f.message, `${p}.message`) };
  },
};

const webviewReaders: { readonly [K in keyof ComparisonWebviewPayloads]: Reader<ComparisonWebviewPayloads[K]> } = {
  [ComparisonReady]: empty,
  [ComparisonExplain]: (v, p) => ({ side: oneOf(COMPARED_SIDES)(record(v, p).side, `${p}.side`) }),
  [ComparisonSteer]: empty,
};

/** Validate a message the Compare Completions page received from the host. */
export function parseComparisonHostMessage(raw: unknown): ComparisonHostMessage | { error: string } {
  return parseWith<ComparisonHostPayloads>(hostReaders, raw);
}

/** Validate a message the host received from the Compare Completions page. */
export function parseComparisonWebviewMessage(raw: unknown): ComparisonWebviewMessage | { error: string } {
  return parseWith<ComparisonWebviewPayloads>(webviewReaders, raw);
}
