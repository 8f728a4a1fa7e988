import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortOnCancel, delay } from '../../extension/completion-scheduling';
import { FakeClock, FakeTokenSource, flush } from './completion-fakes';

function watch(promise: Promise<boolean>): { value: boolean | undefined } {
  const seen: { value: boolean | undefined } = { value: undefined };
  void promise.then((v) => (seen.value = v));
  return seen;
}

test('the debounce resolves true once the full quiet time has passed', async () => {
  const clock = new FakeClock();
  const source = new FakeTokenSource();
  const waited = watch(delay(250, source.token, clock));
  clock.advance(249);
  await flush();
  assert.equal(waited.value, undefined);
  clock.advance(1);
  await flush();
  assert.equal(waited.value, true);
  assert.equal(source.listening, 0, 'the cancellation listener is removed');
});

test('a keystroke during the debounce (the token is cancelled) ends it at once with false', async () => {
  const clock = new FakeClock();
  const source = new FakeTokenSource();
  const waited = watch(delay(250, source.token, clock));
  clock.advance(100);
  source.cancel();
  await flush();
  assert.equal(waited.value, false);
  assert.equal(clock.pending, 0, 'the timer is cleared');
  assert.equal(source.listening, 0);
});

test('an already cancelled token does not wait; no debounce does not wait either', async () => {
  const clock = new FakeClock();
  const source = new FakeTokenSource();
  assert.equal(await delay(0, source.token, clock), true);
  source.cancel();
  assert.equal(await delay(250, source.token, clock), false);
  assert.equal(clock.pending, 0);
});

test('the abort signal follows the token, and lets go of it when disposed', () => {
  const source = new FakeTokenSource();
  const cancel = abortOnCancel(source.token);
  assert.equal(cancel.signal.aborted, false);
  source.cancel();
  assert.equal(cancel.signal.aborted, true);
  cancel.dispose();
  assert.equal(source.listening, 0);

  const late = new FakeTokenSource();
  late.cancel();
  assert.equal(abortOnCancel(late.token).signal.aborted, true, 'a token cancelled before is already aborted');
});
