// The `glassbox.completions.*` settings as one checked value. Kept free of vscode so the parsing (defaults,
// clamping, junk from hand-edited settings.json) is unit-tested; config.ts feeds it the raw values.

export interface CompletionSettings {
  readonly enabled: boolean;
  /** Language ids (`plaintext`, `markdown`, `python`, …) that never get completions. */
  readonly disabledLanguages: readonly string[];
  /** Most tokens one suggestion may have. */
  readonly maxTokens: number;
  /** About how many tokens of the text before the cursor the model reads: more reads better, but slower. */
  readonly contextTokens: number;
  /** Quiet time after the last keystroke before the model runs. */
  readonly debounceMs: number;
  /** 0 = greedy: the same text always gets the same suggestion. */
  readonly temperature: number;
  /** Sample only from the k likeliest tokens; 0 = no limit. Used only when temperature > 0. */
  readonly topK: number;
  /** Sample only from the smallest set of tokens whose probabilities reach p. Used only when temperature > 0. */
  readonly topP: number;
}

export type CompletionSettingKey = keyof CompletionSettings;

/** The defaults, also written in package.json's `contributes.configuration` (a test keeps the two equal). */
export const COMPLETION_DEFAULTS: CompletionSettings = {
  enabled: true,
  disabledLanguages: [],
  maxTokens: 16,
  contextTokens: 256,
  debounceMs: 250,
  temperature: 0,
  topK: 40,
  topP: 0.95,
};

/** The bounds package.json declares; values outside them (settings.json is hand-edited) are clamped. */
export const COMPLETION_LIMITS = {
  maxTokens: { min: 1, max: 128 },
  // The model's context bounds it further (GPT-2: 1024 tokens, less maxTokens).
  contextTokens: { min: 16, max: 1024 },
  debounceMs: { min: 0, max: 5000 },
  temperature: { min: 0, max: 2 },
  // GPT-2's vocabulary size.
  topK: { min: 0, max: 50257 },
  topP: { min: 0, max: 1 },
} as const;

export function parseCompletionSettings(read: (key: CompletionSettingKey) => unknown): CompletionSettings {
  const d = COMPLETION_DEFAULTS;
  const enabled = read('enabled');
  return {
    enabled: typeof enabled === 'boolean' ? enabled : d.enabled,
    disabledLanguages: languages(read('disabledLanguages')) ?? d.disabledLanguages,
    maxTokens: Math.round(clamped(read('maxTokens'), COMPLETION_LIMITS.maxTokens) ?? d.maxTokens),
    contextTokens: Math.round(clamped(read('contextTokens'), COMPLETION_LIMITS.contextTokens) ?? d.contextTokens),
    debounceMs: Math.round(clamped(read('debounceMs'), COMPLETION_LIMITS.debounceMs) ?? d.debounceMs),
    temperature: clamped(read('temperature'), COMPLETION_LIMITS.temperature) ?? d.temperature,
    topK: Math.round(clamped(read('topK'), COMPLETION_LIMITS.topK) ?? d.topK),
    topP: clamped(read('topP'), COMPLETION_LIMITS.topP) ?? d.topP,
  };
}

export function completionsEnabledFor(settings: CompletionSettings, languageId: string): boolean {
  return settings.enabled && !settings.disabledLanguages.includes(languageId);
}

function clamped(value: unknown, { min, max }: { readonly min: number; readonly max: number }): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return Math.min(max, Math.max(min, value));
}

function languages(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== '');
}
