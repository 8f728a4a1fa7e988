import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComparisonExplain, ComparisonShow, ComparisonStatus, parseComparisonHostMessage, parseComparisonWebviewMessage } from '../../protocol/comparison-messages';
import type { CompareResult } from '../../protocol/model-messages';
import { comparisonParams, comparisonSampling, explainContinuation, type ComparisonContext } from '../../extension/completion-comparison';
import { COMPLETION_DEFAULTS } from '../../extension/completion-settings';

const steering = { add: 'Love', subtract: 'Hate', layer: 6, scale: 4 };
const prefix = 'Dear diary,\nI think you are ';
const context: ComparisonContext = { documentUri: 'file:///diary.txt', offset: prefix.length, prefix };

test('a comparison continues what an inline completion would read, with its settings, the whole maxTokens', () => {
  const params = comparisonParams(context, COMPLETION_DEFAULTS, 1024, steering);
  // The trailing space is healed off, as for ghost text; greedy needs no seed.
  assert.deepEqual(params, { prompt: 'Dear diary,\nI think you are', maxNewTokens: 16, temperature: 0, topK: 40, topP: 0.95, stopAtNewline: false, windowToContext: true, steering });
  assert.deepEqual(comparisonSampling(params!), { temperature: 0, topK: 40, topP: 0.95, seed: null });
  const sampled = comparisonParams(context, { ...COMPLETION_DEFAULTS, temperature: 0.7 }, 1024, steering);
  assert.equal(sampled?.seed, 0, 'both runs draw with one seed');
  assert.equal(comparisonParams({ ...context, prefix: '  \n', offset: 3 }, COMPLETION_DEFAULTS, 1024, steering), null);
});

test('either continuation is explained as the prompt the model read and its tokens, without an end-of-text', () => {
  const params = comparisonParams(context, COMPLETION_DEFAULTS, 1024, steering)!;
  const result: CompareResult = {
    promptTokens: [{ id: 35, text: 'Dear', start: 0, end: 4 }],
    textOffset: 0,
    unsteered: { tokens: [{ id: 257, text: ' a', prob: 0.5 }, { id: 50256, text: '<|endoftext|>', prob: 0.25 }], text: ' a<|endoftext|>', stop: 'end-of-text' },
    steered: { tokens: [{ id: 50256, text: '<|endoftext|>', prob: 0.9 }], text: '<|endoftext|>', stop: 'end-of-text' },
  };
  const explained = explainContinuation(context, params, result, result.unsteered);
  assert.deepEqual(explained, { text: 'Dear diary,\nI think you are a', ids: [35, 257], generatedFrom: 1, documentOffset: 0 });
  assert.equal(explainContinuation(context, params, result, result.steered), null);
});

test('the view’s messages are checked where they arrive', () => {
  const show = {
    type: ComparisonShow,
    payload: {
      model: 'gpt2',
      randomWeights: false,
      steering,
      contextTail: 'you are',
      sampling: { temperature: 0, topK: 40, topP: 0.95, seed: null },
      unsteered: { tokens: [{ id: 257, text: ' a', prob: 0.5 }], text: ' a', stop: 'max-tokens' },
      steered: { tokens: [{ id: 257, text: ' a', prob: 0.75 }], text: ' a', stop: 'max-tokens' },
    },
  };
  assert.deepEqual(parseComparisonHostMessage(show), show);
  assert.deepEqual(parseComparisonHostMessage({ type: ComparisonStatus, payload: { kind: 'no-steering', extra: 1 } }), { type: ComparisonStatus, payload: { kind: 'no-steering' } });
  assert.match((parseComparisonHostMessage({ ...show, payload: { ...show.payload, steering: null } }) as { error: string }).error, /^payload\.steering: expected an object/);
  assert.deepEqual(parseComparisonWebviewMessage({ type: ComparisonExplain, payload: { side: 'steered' } }), { type: ComparisonExplain, payload: { side: 'steered' } });
  assert.match((parseComparisonWebviewMessage({ type: ComparisonExplain, payload: { side: 'both' } }) as { error: string }).error, /^payload\.side: expected unsteered \| steered/);
});
