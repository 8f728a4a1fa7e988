import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bpeSpelling, hexBytes } from '../../webview/byte-pieces';
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
  const piece = (text: string) => ({ id: 0, text });
  assert.equal(hexBytes(piece(' é')), '20 c3 a9');
  assert.equal(bpeSpelling(piece(' the')), 'Ġthe');
  assert.equal(bpeSpelling(piece('\n')), 'Ċ');
  assert.equal(bpeSpelling(piece('\t')), 'ĉ');
  assert.equal(bpeSpelling(piece('é')), 'Ã©');
});

test('a token holding part of a character: its own bytes, not those of the "�" it decodes to', () => {
  const partial = { id: 447, text: '\ufffd', bytes: [0xe2, 0x80] };
  assert.equal(hexBytes(partial), 'e2 80');
  assert.equal(bpeSpelling(partial), 'âĢ', 'as vocab.json spells id 447');
});
