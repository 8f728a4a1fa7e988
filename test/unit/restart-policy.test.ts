// The restart policy on a clock the test moves: when a crashed model process may start again, and what the
// user is told. ModelClient asks `blockedMessage()` before every fork and calls `recordCrash()` on every death.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../../extension/restart-policy';

/** A policy of 3 crashes a minute, a back-off from 10 s up to 40 s, and a clock starting at 0. */
function policyAt0() {
  let now = 0;
  const policy = new RestartPolicy({ maxCrashes: 3, windowMs: 60_000, backoffMs: 10_000, maxBackoffMs: 40_000, now: () => now });
  const advance = (ms: number) => void (now += ms);
  return { policy, advance };
}

/** Crashes `times` times a second apart; returns what each crash said. */
function crash(policy: RestartPolicy, advance: (ms: number) => void, times: number): (string | null)[] {
  return Array.from({ length: times }, () => (advance(1_000), policy.recordCrash()));
}

test('a crash or two restart at once', () => {
  const { policy, advance } = policyAt0();
  assert.equal(policy.blockedMessage(), null);
  assert.deepEqual(crash(policy, advance, 2), [null, null]);
  assert.equal(policy.blockedMessage(), null);
});

test('crashes further apart than the window never add up to a loop', () => {
  const { policy, advance } = policyAt0();
  for (let i = 0; i < 20; i++) {
    advance(30_000);
    assert.equal(policy.recordCrash(), null);
    assert.equal(policy.blockedMessage(), null);
  }
});

test('the third crash in a minute holds restarts back for the back-off and says so once', () => {
  const { policy, advance } = policyAt0();
  const said = crash(policy, advance, 3);
  assert.deepEqual(said.slice(0, 2), [null, null]);
  assert.equal(said[2], 'The model process crashed 3 times in 60 s; Glassbox waits 10 s before starting it again. See Glassbox: Show Log.');

  // Asked before each fork, it counts down in whole seconds, rounded up, and never repeats the loop message.
  assert.equal(policy.blockedMessage(), 'The model process keeps crashing; Glassbox will try again in 10 s. See Glassbox: Show Log.');
  advance(4_001);
  assert.match(policy.blockedMessage()!, /try again in 6 s/);
  advance(5_998);
  assert.match(policy.blockedMessage()!, /try again in 1 s/);
  advance(1);
  assert.equal(policy.blockedMessage(), null);
});

test('after a back-off the count starts again: two more crashes do not block', () => {
  const { policy, advance } = policyAt0();
  crash(policy, advance, 3);
  advance(10_000);
  assert.deepEqual(crash(policy, advance, 2), [null, null]);
  assert.equal(policy.blockedMessage(), null);
});

test('each loop that follows another doubles the back-off, up to the maximum', () => {
  const { policy, advance } = policyAt0();
  const waits: string[] = [];
  for (let loop = 0; loop < 4; loop++) {
    waits.push(/waits (\d+) s/.exec(crash(policy, advance, 3)[2]!)![1]);
    while (policy.blockedMessage()) advance(1_000);
  }
  assert.deepEqual(waits, ['10', '20', '40', '40']);
});

test('a process that runs a whole window without crashing starts again from the first back-off', () => {
  const { policy, advance } = policyAt0();
  crash(policy, advance, 3);
  advance(10_000);
  assert.match(crash(policy, advance, 3)[2]!, /waits 20 s/);
  // The back-off ends; calm is counted from here, not from the last crash. 59 s later (crash() adds a
  // second before each crash) the next loop still belongs to the same bad spell.
  advance(20_000 + 58_000);
  assert.match(crash(policy, advance, 3)[2]!, /waits 40 s/);
  advance(40_000 + 59_000); // a full minute of calm before the next first crash
  assert.match(crash(policy, advance, 3)[2]!, /waits 10 s/);
});

test('the defaults: 3 crashes a minute, 10 s back-off, on the real clock', () => {
  const policy = new RestartPolicy();
  assert.equal(policy.recordCrash(), null);
  assert.equal(policy.recordCrash(), null);
  assert.match(policy.recordCrash()!, /crashed 3 times in 60 s; Glassbox waits 10 s/);
  assert.match(policy.blockedMessage()!, /try again in (10|9) s/);
});
