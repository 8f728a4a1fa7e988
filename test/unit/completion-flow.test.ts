import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlassboxError } from '../../protocol/errors';
import type { CompleteParams, CompleteResult } from '../../protocol/model-messages';
import type { Steering } from '../../protocol/interventions';
import { CompletionFlow, EARLY_TOKENS, type CompletionRequest } from '../../extension/completion-flow';
import { COMPLETION_DEFAULTS, type CompletionSettings } from '../../extension/completion-settings';
import { CompletionStore } from '../../extension/completion-store';
import { Deferred, FakeClock, FakeTokenSource, flush } from './completion-fakes';

/**
 * A flow whose model answers only when the test says so, with time that moves only when the test says so.
 * `settings` is read at every call, so a test may change it midway.
 */
function harness(settings: Partial<CompletionSettings> = {}, nCtx: Promise<number> = Promise.resolve(1024)) {
  const clock = new FakeClock();
  const store = new CompletionStore();
  const runs: { params: CompleteParams; signal: AbortSignal; answer: Deferred<CompleteResult> }[] = [];
  const logged: string[] = [];
  let loads = 0;
  const steering: { current: Steering | undefined } = { current: undefined };
  const flow = new CompletionFlow(
    {
      settings: () => ({ ...COMPLETION_DEFAULTS, ...settings }),
      contextLength: () => {
        loads++;
        return nCtx;
      },
      complete: (params, signal) => {
        const answer = new Deferred<CompleteResult>();
        runs.push({ params, signal, answer });
        return answer.promise;
      },
      log: (message) => logged.push(message),
      steering: () => steering.current,
    },
    store,
    clock,
  );
  return { flow, clock, store, runs, logged, loads: () => loads, steering };
}

function typed(prefix: string, more: Partial<CompletionRequest> = {}): CompletionRequest {
  return { documentUri: 'file:///story.txt', languageId: 'plaintext', offset: prefix.length, prefix, lineSuffix: '', explicit: false, ...more };
}

function result(text: string, stop: CompleteResult['stop'] = 'max-tokens'): CompleteResult {
  return { promptTokens: [{ id: 464, text: 'The', start: 0, end: 3 }], tokens: [{ id: 1, text, prob: 0.5 }], text, stop, tokensPerSecond: 50, reusedTokens: 0, textOffset: 0 };
}

const current = () => true;

test('after 250 ms of quiet the model runs once, greedy, stopping at the newline', async () => {
  const h = harness();
  const source = new FakeTokenSource();
  const suggestion = h.flow.suggest(typed('The quick'), source.token, current);
  await flush();
  assert.equal(h.runs.length, 0, 'nothing is sent during the debounce');
  h.clock.advance(250);
  await flush();
  assert.deepEqual(h.runs[0].params, { prompt: 'The quick', maxNewTokens: 16, temperature: 0, topK: 40, topP: 0.95, stopAtNewline: true, windowToContext: true });
  h.runs[0].answer.resolve(result(' brown fox jumps\nover'));
  assert.equal(await suggestion, ' brown fox jumps');
  assert.equal(h.store.last?.prompt, 'The quick');
  assert.equal(h.store.last?.text, ' brown fox jumps\nover');
  assert.equal(source.listening, 0, 'no listener is left on the token');
});

test('a prompt the model process windowed is remembered as the part the model read', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('first line\nThe quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs[0].params.prompt, 'first line\nThe quick');
  h.runs[0].answer.resolve({ ...result(' brown'), textOffset: 11 });
  assert.equal(await suggestion, ' brown');
  assert.equal(h.store.last?.prompt, 'The quick', 'what Explain Last Completion shows');
});

test('a token cancelled during the debounce sends nothing and does not even load the model', async () => {
  const h = harness();
  const source = new FakeTokenSource();
  const suggestion = h.flow.suggest(typed('The quick'), source.token, current);
  h.clock.advance(100);
  source.cancel();
  assert.equal(await suggestion, undefined);
  h.clock.advance(1000);
  await flush();
  assert.equal(h.runs.length, 0);
  assert.equal(h.loads(), 0);
});

test('a token cancelled during the run aborts it, and nothing is shown or logged', async () => {
  const h = harness();
  const source = new FakeTokenSource();
  const suggestion = h.flow.suggest(typed('The quick'), source.token, current);
  h.clock.advance(250);
  await flush();
  source.cancel();
  assert.equal(h.runs[0].signal.aborted, true, 'the model client turns the abort into a protocol cancel');
  h.runs[0].answer.reject(new GlassboxError('cancelled', 'Cancelled.'));
  assert.equal(await suggestion, undefined);
  assert.equal(h.store.last, null);
  assert.deepEqual(h.logged, []);
});

test('an answer for a document that changed meanwhile is dropped', async () => {
  const h = harness();
  let version = 1;
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, () => version === 1);
  h.clock.advance(250);
  await flush();
  version = 2;
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await suggestion, undefined);
  assert.equal(h.store.last, null);
});

test('an answer that arrives after completions were switched off is dropped', async () => {
  const settings: { enabled?: boolean } = {}; // read again at every check, like the real settings
  const h = harness(settings);
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  settings.enabled = false;
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await suggestion, undefined);
});

test('a run superseded in the model process (a partial answer) is dropped', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].answer.resolve(result(' brown', 'cancelled'));
  assert.equal(await suggestion, undefined);
});

test('typing what the ghost text showed is answered at once, without the model', async () => {
  const h = harness();
  const first = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await first, ' brown fox');
  assert.equal(await h.flow.suggest(typed('The quick bro'), new FakeTokenSource().token, current), 'wn fox');
  assert.equal(h.runs.length, 1);
});

test('with several cursors there is no suggestion: VS Code would insert it at every one of them', async () => {
  const h = harness();
  const typing = h.flow.suggest(typed('The quick', { cursors: 2 }), new FakeTokenSource().token, current);
  const asked = h.flow.suggest(typed('The quick', { cursors: 3, explicit: true }), new FakeTokenSource().token, current); // Alt+\
  await flush();
  assert.equal(h.clock.pending, 0, 'no debounce');
  assert.equal(h.loads(), 0, 'no model load');
  assert.equal(h.runs.length, 0);
  assert.equal(await typing, undefined);
  assert.equal(await asked, undefined);

  // Nor the rest of one already shown, which a single cursor would get at once.
  const first = h.flow.suggest(typed('The quick', { cursors: 1 }), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await first, ' brown fox');
  assert.equal(await h.flow.suggest(typed('The quick bro', { cursors: 2 }), new FakeTokenSource().token, current), undefined);
  assert.equal(await h.flow.suggest(typed('The quick bro'), new FakeTokenSource().token, current), 'wn fox');
});

test('typing something else starts a new run', async () => {
  const h = harness();
  h.store.set({ documentUri: 'file:///story.txt', offset: 9, prefix: 'The quick', prompt: 'The quick', promptTokens: [], tokens: [], text: ' brown fox', suggestion: ' brown fox' });
  void h.flow.suggest(typed('The quick red'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs.length, 1);
  assert.equal(h.runs[0].params.prompt, 'The quick red');
});

test('an empty continuation is never shown', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('The end.'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].answer.resolve(result('\n\nChapter 2'));
  assert.equal(await suggestion, undefined);
  assert.equal(h.store.last, null);
});

test('on an empty line the model may write past the newline', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('Dear Sir,\n'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs[0].params.stopAtNewline, false);
  h.runs[0].answer.resolve(result('\nI am writing\nto you'));
  assert.equal(await suggestion, 'I am writing\nto you');
});

test('a typed trailing space is left out of the prompt and out of the suggestion', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('The quick '), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs[0].params.prompt, 'The quick');
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await suggestion, 'brown fox');
});

test('a long document sends only its tail, aimed at contextTokens and starting at a line', async () => {
  const h = harness({ contextTokens: 128 });
  const suggestion = h.flow.suggest(typed(`${'const x = 1;\n'.repeat(1000)}let`), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  const { prompt } = h.runs[0].params;
  assert.ok(prompt.length <= 128 * 4, `${prompt.length} characters`);
  assert.ok(prompt.startsWith('const x = 1;\n') && prompt.endsWith('\nlet'));
  h.runs[0].answer.resolve(result(' y = 2;'));
  assert.equal(await suggestion, ' y = 2;');
});

test('a newer run aborts the one before, even when VS Code left its token alone', async () => {
  const h = harness();
  const first = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  const second = h.flow.suggest(typed('The quick red'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs[0].signal.aborted, true);
  assert.equal(h.runs[1].signal.aborted, false);
  h.runs[0].answer.reject(new GlassboxError('cancelled', 'Cancelled.'));
  h.runs[1].answer.resolve(result(' fox'));
  assert.equal(await first, undefined);
  assert.equal(await second, ' fox');
});

test('a failed run is logged, not shown', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].answer.reject(new GlassboxError('process-crashed', 'The model process exited.'));
  assert.equal(await suggestion, undefined);
  assert.deepEqual(h.logged, ['Inline completion failed: The model process exited.']);
});

test('a model that fails to load pauses typing-triggered completions until resumed; Alt+\\ retries', async () => {
  const failed = Promise.reject(new GlassboxError('download', 'Offline.'));
  failed.catch(() => {});
  const h = harness({}, failed);
  const first = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  assert.equal(await first, undefined);
  assert.equal(h.loads(), 1);
  assert.equal(h.logged.length, 1);
  assert.equal(await h.flow.suggest(typed('The quick b'), new FakeTokenSource().token, current), undefined);
  assert.equal(h.loads(), 1, 'typing does not retry the load');
  assert.equal(await h.flow.suggest(typed('The quick b', { explicit: true }), new FakeTokenSource().token, current), undefined);
  assert.equal(h.loads(), 2, 'asking explicitly does, without a debounce');
  h.flow.resume();
  const again = h.flow.suggest(typed('The quick b'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await again;
  assert.equal(h.loads(), 3);
  assert.equal(h.logged.length, 2, 'each pause is logged once: the first, and the one after resuming');
});

test('before an auto-closed bracket the suggestion ends where the model closes it too', async () => {
  const h = harness();
  const suggestion = h.flow.suggest(typed('print(', { lineSuffix: ')' }), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs[0].params.stopAtNewline, true);
  h.runs[0].answer.resolve(result('"hello", end="")\nprint'));
  assert.equal(await suggestion, '"hello", end=""');
});

test('no run where completions are off, before existing text, or in an empty document', async () => {
  const off = harness({ disabledLanguages: ['markdown'] });
  assert.equal(await off.flow.suggest(typed('# Title', { languageId: 'markdown' }), new FakeTokenSource().token, current), undefined);
  const h = harness();
  assert.equal(await h.flow.suggest(typed('pri', { lineSuffix: 'nt' }), new FakeTokenSource().token, current), undefined);
  assert.equal(await h.flow.suggest(typed('  \n'), new FakeTokenSource().token, current), undefined);
  assert.equal(h.clock.pending, 0);
  assert.equal(off.clock.pending, 0);
});

test('a steering goes with the request, and a suggestion made with another steering is not reused', async () => {
  const h = harness();
  h.steering.current = { add: 'Love', subtract: 'Hate', layer: 3, scale: 4 };
  const first = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.deepEqual(h.runs[0].params.steering, { add: 'Love', subtract: 'Hate', layer: 3, scale: 4 });
  h.runs[0].answer.resolve(result(' brown fox'));
  assert.equal(await first, ' brown fox');
  // The same steering: typing what it showed reuses it.
  assert.equal(await h.flow.suggest(typed('The quick bro'), new FakeTokenSource().token, current), 'wn fox');
  // Cleared: the steered suggestion is not the model's own, so the model runs again, unsteered.
  h.steering.current = undefined;
  const second = h.flow.suggest(typed('The quick brow'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  assert.equal(h.runs.length, 2);
  assert.equal(h.runs[1].params.steering, undefined);
  h.runs[1].answer.resolve(result('n dog'));
  assert.equal(await second, 'n dog');
});

/** A flow whose editor can be asked again (refresh): the model's tokens are fed by the test as it writes them. */
function streamingHarness() {
  const clock = new FakeClock();
  const store = new CompletionStore();
  const runs: { answer: Deferred<CompleteResult>; onToken?: (token: { readonly text: string }) => void }[] = [];
  let refreshes = 0;
  const flow = new CompletionFlow(
    {
      settings: () => COMPLETION_DEFAULTS,
      contextLength: () => Promise.resolve(1024),
      complete: (_params, _signal, onToken) => {
        const answer = new Deferred<CompleteResult>();
        runs.push({ answer, onToken });
        return answer.promise;
      },
      log: () => undefined,
      refresh: () => refreshes++,
    },
    store,
    clock,
  );
  return { flow, clock, store, runs, refreshes: () => refreshes };
}

function written(texts: readonly string[]): CompleteResult {
  return { ...result(texts.join('')), tokens: texts.map((text, i) => ({ id: i, text, prob: 0.5 })) };
}

test(`the first ${EARLY_TOKENS} tokens are shown while the model writes the rest, which the editor is asked for again when it is done`, async () => {
  const h = streamingHarness();
  const texts = [' brown', ' fox', ' jumps', ' over', ' the'];
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  for (const text of texts.slice(0, EARLY_TOKENS)) h.runs[0].onToken?.({ text });
  assert.equal(await suggestion, ' brown fox jumps', 'shown before the run ends');
  assert.equal(h.refreshes(), 0);
  h.runs[0].answer.resolve(written(texts));
  await flush();
  assert.equal(h.refreshes(), 1, 'the editor asks again');
  assert.equal(h.store.last?.suggestion, ' brown fox jumps over the');
  // The editor's second ask is answered from the store, without a run.
  assert.equal(await h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current), ' brown fox jumps over the');
  assert.equal(h.runs.length, 1);
});

test('a suggestion whose start was shown is kept for Explain Last Completion even once the user moved on, but not shown again', async () => {
  const h = streamingHarness();
  let here = true;
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, () => here);
  h.clock.advance(250);
  await flush();
  for (const text of [' brown', ' fox', ' jumps']) h.runs[0].onToken?.({ text });
  assert.equal(await suggestion, ' brown fox jumps');
  here = false; // accepted with Tab: the document changed
  h.runs[0].answer.resolve(written([' brown', ' fox', ' jumps', ' over']));
  await flush();
  assert.equal(h.store.last?.text, ' brown fox jumps over');
  assert.equal(h.refreshes(), 0);
});

test('a run that ends before its early tokens is shown whole, as without refresh', async () => {
  const h = streamingHarness();
  const suggestion = h.flow.suggest(typed('The quick'), new FakeTokenSource().token, current);
  h.clock.advance(250);
  await flush();
  h.runs[0].onToken?.({ text: ' brown' });
  h.runs[0].answer.resolve(written([' brown', '\n']));
  assert.equal(await suggestion, ' brown');
  await flush();
  assert.equal(h.refreshes(), 0);
});
