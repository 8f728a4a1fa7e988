// One inline completion from keystroke to ghost text: settings, the reuse rule, the debounce, the prompt, the
// run, and the checks that keep a stale suggestion from ever being shown. It knows the editor and the model
// only through CompletionBackend, so all of it runs in unit tests.

import { GlassboxError, toErrorInfo } from '../protocol/errors';
import type { Steering } from '../protocol/interventions';
import type { CompleteParams, CompleteResult } from '../protocol/model-messages';
import { CharsPerToken, planPrompt, type PromptPlan } from './completion-prompt';
import { systemClock, type Clock } from './clock';
import { abortOnCancel, delay, type CancellationLike } from './completion-scheduling';
import { completionsEnabledFor, type CompletionSettings } from './completion-settings';
import { reusableSuggestion, type CompletionStore } from './completion-store';
import { shapeSuggestion, suggestionPlace, type SuggestionMode } from './completion-suggestion';

export interface CompletionRequest {
  readonly documentUri: string;
  readonly languageId: string;
  /** The cursor's UTF-16 offset in the document. */
  readonly offset: number;
  /** The text before the cursor: all of it, or its last PREFIX_WINDOW_CHARS characters. */
  readonly prefix: string;
  /** The text after the cursor on its line. */
  readonly lineSuffix: string;
  /** Asked for by the user (Alt+\) rather than by typing: no debounce, and it retries a failed model load. */
  readonly explicit: boolean;
  /** How many cursors the editor has; absent means one. */
  readonly cursors?: number;
}

export interface CompletionBackend {
  settings(): CompletionSettings;
  /** The model's context length in tokens, loading the model first if needed. */
  contextLength(): Promise<number>;
  /** Runs a completion; `onToken` hears each token as the model writes it. */
  complete(params: CompleteParams, signal: AbortSignal, onToken?: (token: { readonly text: string }) => void): Promise<CompleteResult>;
  log(message: string): void;
  /** The steering completions are generated with (Steer Completions…), if any. */
  steering?(): Steering | undefined;
  /**
   * Asks the editor for the ghost text again (VS Code: editor.action.inlineSuggest.trigger). With it, the
   * first tokens are shown while the model writes the rest, which is shown when it is done (the reuse rule
   * answers the second ask from the store); without it, the ghost text waits for the whole suggestion.
   */
  refresh?(): void;
}

/** Tokens the ghost text shows first when the rest can follow (`refresh`): about a word's worth. */
export const EARLY_TOKENS = 3;

export class CompletionFlow {
  private readonly charsPerToken = new CharsPerToken();
  /** Set when the model failed to load (or its download was cancelled): typing must not retry it each time. */
  private paused = false;
  private inFlight: AbortController | null = null;

  constructor(
    private readonly backend: CompletionBackend,
    private readonly store: CompletionStore,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Lets automatic completions load the model again: after a model change, a reload, or the toggle. */
  resume(): void {
    this.paused = false;
  }

  /**
   * The ghost text for this cursor, or undefined. `isCurrent` says whether the document is still the one the
   * request was made for (VS Code's document version); it and the token are checked after every wait.
   */
  async suggest(request: CompletionRequest, token: CancellationLike, isCurrent: () => boolean): Promise<string | undefined> {
    // VS Code asks for the primary cursor only, then shows and inserts the same text at every other cursor
    // (getSecondaryEdits in its inlineCompletionsModel), where the model read none of the text before it. So
    // several cursors get no suggestion, not even a reused one.
    if ((request.cursors ?? 1) > 1) return undefined;
    const settings = this.backend.settings();
    if (!completionsEnabledFor(settings, request.languageId) || request.prefix.trim() === '') return undefined;
    const place = suggestionPlace(request.prefix.slice(request.prefix.lastIndexOf('\n') + 1), request.lineSuffix);
    if (!place) return undefined;
    const steering = this.backend.steering?.();
    const reused = sameSteering(this.store.last?.steering, steering) ? reusableSuggestion(this.store.last, request) : undefined;
    if (reused !== undefined) return reused;
    if (this.paused && !request.explicit) return undefined;

    // Still wanted: not overtaken by typing, the document unchanged, completions not switched off meanwhile.
    const live = () => !token.isCancellationRequested && isCurrent() && completionsEnabledFor(this.backend.settings(), request.languageId);
    if (!request.explicit && !(await delay(settings.debounceMs, token, this.clock))) return undefined;
    const nCtx = await this.contextLength();
    if (nCtx === undefined || !live()) return undefined;

    const plan = planPrompt(request.prefix, {
      nCtx,
      maxTokens: settings.maxTokens,
      contextTokens: settings.contextTokens,
      charsPerToken: this.charsPerToken.of(request.documentUri),
      wholeDocument: request.offset === request.prefix.length,
    });
    if (plan.prompt.trim() === '') return undefined;
    const shape = (text: string) => shapeSuggestion(text, { ...place, healed: plan.healed });

    // The first EARLY_TOKENS are shown as soon as they are written, when the editor can be asked again later.
    let showEarly: (suggestion: string) => void = () => undefined;
    const early = new Promise<string>((resolve) => (showEarly = resolve));
    let shownEarly = false;
    const written: string[] = [];
    const onToken = this.backend.refresh
      ? (t: { readonly text: string }) => {
          written.push(t.text);
          if (written.length !== EARLY_TOKENS || !live()) return;
          const partial = shape(written.join(''));
          if (partial === '') return;
          shownEarly = true;
          showEarly(partial);
        }
      : undefined;
    const whole = this.run(plan, settings, place.mode, token, steering, onToken).then((result) => {
      if (!result) return undefined;
      // What the model read: the prompt less what the model process dropped to fit the context.
      const prompt = plan.prompt.slice(result.textOffset);
      this.charsPerToken.observe(request.documentUri, prompt.length, result.promptTokens.length);
      // A run superseded in the model process by a newer one ends early with a partial continuation.
      if (result.stop === 'cancelled') return undefined;
      const suggestion = shape(result.text);
      // Kept once its start was shown, even if the user has moved on (accepted it, say): it is the completion
      // Explain Last Completion explains.
      if (suggestion === '' || !(live() || shownEarly)) return undefined;
      const { documentUri, offset, prefix } = request;
      this.store.set({ documentUri, offset, prefix, prompt, promptTokens: result.promptTokens, tokens: result.tokens, text: result.text, suggestion, ...(steering ? { steering } : {}) });
      return live() ? suggestion : undefined;
    });
    const first = await Promise.race([whole.then((suggestion) => ({ whole: suggestion })), early.then((suggestion) => ({ early: suggestion }))]);
    if ('whole' in first) return first.whole;
    // The rest, when it comes and nothing has moved, is shown by asking the editor again.
    void whole.then((suggestion) => {
      if (suggestion !== undefined && suggestion !== first.early) this.backend.refresh?.();
    });
    return first.early;
  }

  private async contextLength(): Promise<number | undefined> {
    try {
      const nCtx = await this.backend.contextLength();
      this.paused = false;
      return nCtx;
    } catch (error) {
      if (!this.paused) this.backend.log(`Inline completions are paused until a model loads (${toErrorInfo(error).message}). Reload or select a model, toggle completions, or ask with Alt+\\ to retry.`);
      this.paused = true;
      return undefined;
    }
  }

  /**
   * One run at a time: a new one aborts the one before, whatever VS Code did with its token, so the older run
   * is settled here at once rather than by the model process superseding it.
   */
  private async run(plan: PromptPlan, settings: CompletionSettings, mode: SuggestionMode, token: CancellationLike, steering: Steering | undefined, onToken?: (token: { readonly text: string }) => void): Promise<CompleteResult | undefined> {
    const cancel = abortOnCancel(token);
    this.inFlight?.abort();
    this.inFlight = cancel.controller;
    const params: CompleteParams = {
      prompt: plan.prompt,
      maxNewTokens: plan.maxNewTokens,
      temperature: settings.temperature,
      topK: settings.topK,
      topP: settings.topP,
      stopAtNewline: mode === 'line',
      windowToContext: true,
      ...(steering ? { steering } : {}),
    };
    try {
      return await this.backend.complete(params, cancel.signal, onToken);
    } catch (error) {
      if (!(error instanceof GlassboxError && error.code === 'cancelled')) this.backend.log(`Inline completion failed: ${toErrorInfo(error).message}`);
      return undefined;
    } finally {
      if (this.inFlight === cancel.controller) this.inFlight = null;
      cancel.dispose();
    }
  }
}

function sameSteering(a: Steering | undefined, b: Steering | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.add === b.add && a.subtract === b.subtract && a.layer === b.layer && a.scale === b.scale);
}
