import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  COMPLETION_DEFAULTS,
  COMPLETION_LIMITS,
  completionsEnabledFor,
  parseCompletionSettings,
  type CompletionSettingKey,
} from '../../extension/completion-settings';

const settings = (values: Partial<Record<CompletionSettingKey, unknown>>) => parseCompletionSettings((key) => values[key]);

test('nothing set: greedy, 16 tokens from about 256 tokens of context after 250 ms of quiet, in every language', () => {
  assert.deepEqual(settings({}), {
    enabled: true,
    disabledLanguages: [],
    maxTokens: 16,
    contextTokens: 256,
    debounceMs: 250,
    temperature: 0,
    topK: 40,
    topP: 0.95,
  });
});

test('hand-edited values are clamped to the declared bounds and rounded where they count things', () => {
  const parsed = settings({ maxTokens: 1000, contextTokens: 4, debounceMs: -5, temperature: 3, topK: 7.6, topP: 1.5 });
  assert.equal(parsed.maxTokens, 128);
  assert.equal(parsed.contextTokens, 16);
  assert.equal(parsed.debounceMs, 0);
  assert.equal(parsed.temperature, 2);
  assert.equal(parsed.topK, 8);
  assert.equal(parsed.topP, 1);
  assert.equal(settings({ maxTokens: 0 }).maxTokens, 1);
});

test('values of the wrong type fall back to the defaults', () => {
  const parsed = settings({ enabled: 'no', maxTokens: '32', temperature: Number.NaN, topP: null, disabledLanguages: 'markdown' });
  assert.equal(parsed.enabled, true);
  assert.equal(parsed.maxTokens, 16);
  assert.equal(parsed.temperature, 0);
  assert.equal(parsed.topP, 0.95);
  assert.deepEqual(parsed.disabledLanguages, []);
});

test('disabled languages keep their strings, trimmed, and turn completions off for those languages only', () => {
  const parsed = settings({ disabledLanguages: ['markdown', 3, ' python ', ''] });
  assert.deepEqual(parsed.disabledLanguages, ['markdown', 'python']);
  assert.equal(completionsEnabledFor(parsed, 'python'), false);
  assert.equal(completionsEnabledFor(parsed, 'plaintext'), true);
  assert.equal(completionsEnabledFor({ ...parsed, enabled: false }, 'plaintext'), false);
});

test("package.json declares the same defaults and bounds as the parser", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  const properties = pkg.contributes.configuration.properties;
  for (const key of Object.keys(COMPLETION_DEFAULTS) as CompletionSettingKey[]) {
    const declared = properties[`glassbox.completions.${key}`];
    assert.ok(declared, `glassbox.completions.${key} is contributed`);
    assert.deepEqual(declared.default, COMPLETION_DEFAULTS[key], key);
  }
  for (const [key, { min, max }] of Object.entries(COMPLETION_LIMITS)) {
    assert.equal(properties[`glassbox.completions.${key}`].minimum, min, key);
    assert.equal(properties[`glassbox.completions.${key}`].maximum, max, key);
  }
});
