import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bpeSpelling, hexBytes, isPartialCharacter } from '../../webview/byte-pieces';
import { endsLine, visibleWhitespace } from '../../protocol/visible-whitespace';

test('spaces, newlines and tabs become the marks VS Code uses for rendered whitespace', () => {
  assert.equal(visibleWhitespace(' the'), '·the');
  assert.equal(visibleWhitespace('\n'), '⏎');
  assert.equal(visibleWhitespace('\t\tx'), '→→x');
  assert.equal(visibleWhitespace('\r\n'), '␍⏎');
  assert.equal(visibleWhitespace('a\u00a0b'), 'a⍽b');
});

test('other control characters show as Unicode control pictures', () => {
  assert.equal(visibleWhitespace('\u0000'), '␀');
  assert.equal(visibleWhitespace('\u001b['), '␛[');
  assert.equal(visibleWhitespace('\u007f'), '␡');
  assert.equal(visibleWhitespace('café'), 'café', 'ordinary text is untouched');
});

test('a token ends a line when it ends with a newline', () => {
  assert.equal(endsLine('.\n'), true);
  assert.equal(endsLine('\n\t'), false);
});

test('byte pieces: UTF-8 in hex, and the spelling in GPT-2’s vocabulary', () => {
  assert.equal(hexBytes(' é'), '20 c3 a9');
  assert.equal(bpeSpelling(' the'), 'Ġthe');
  assert.equal(bpeSpelling('\n'), 'Ċ');
  assert.equal(bpeSpelling('\t'), 'ĉ');
  assert.equal(bpeSpelling('é'), 'Ã©');
  assert.equal(isPartialCharacter('\ufffd'), true);
  assert.equal(isPartialCharacter('ok'), false);
});
