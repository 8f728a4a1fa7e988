import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attentionCsv, csvRow, lensCsv, tokensCsv } from '../../webview/export-tables';
import { headOfLayer } from '../../protocol/inspection';
import { squarePattern } from '../../webview/attention-layout';
import { fixtureAblated, fixtureInspection, fixtureLensTarget, fixtureText } from './webview-fixture';

/** RFC 4180 reading, as a spreadsheet would: quoted fields may hold commas, quotes and newlines. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += ch;
  }
  return rows;
}

test('CSV fields are quoted only when they must be; missing numbers are empty', () => {
  assert.equal(csvRow(['a', ' b', 'say "hi"', 'x,y', '\n', 1, Number.NaN, null]), 'a, b,"say ""hi""","x,y","\n",1,,');
  assert.equal(csvRow([Math.fround(0.3)]), '0.3', 'float32 noise is not printed');
});

test('the tokens table rates each token by the prediction before it', () => {
  const inspection = fixtureInspection();
  const rows = readCsv(tokensCsv(inspection));
  assert.deepEqual(rows[0], ['position', 'id', 'text', 'start', 'end', 'prob', 'rank0', 'surprisal_bits']);
  assert.equal(rows.length, 24);
  assert.deepEqual(rows[1], ['0', '464', 'The', '0', '3', '', '', ''], 'nothing predicted the first token');
  assert.deepEqual(rows[2].slice(0, 5), ['1', '2068', ' quick', '3', '9']);
  assert.equal(Number(rows[2][5]), Number(inspection.next.prob.data[0].toPrecision(7)));
  assert.equal(rows[2][6], '37', 'GPT-2 rarely guesses " quick" after "The"');
  assert.deepEqual(rows[15].slice(0, 5), ['14', '198', '\n', '65', '66'], 'a newline token survives quoting');
});

test('the lens table has one row per point and position, with target columns when a target is set', () => {
  const inspection = fixtureInspection();
  const plain = readCsv(lensCsv(inspection, null));
  assert.equal(plain.length, 1 + 3 * 23);
  assert.deepEqual(plain[0], ['hook', 'point', 'position', 'input_text', 'top1_id', 'top1_text', 'top1_prob', 'entropy_nats', 'kl_nats']);
  assert.deepEqual(plain[1].slice(0, 6), ['blocks.0.hook_resid_pre', '0', '0', 'The', '464', 'The']);
  const exact = fixtureLensTarget(inspection, 3290);
  const targeted = readCsv(lensCsv(inspection, { id: 3290, text: ' dog', exact }));
  assert.deepEqual(targeted[0].slice(-3), ['target_id', 'target_prob', 'target_rank0']);
  assert.deepEqual(targeted[1].slice(-3), ['3290', String(Number(exact.prob.data[0].toPrecision(7))), String(exact.rank.data[0])]);
});

test('with a baseline the lens table adds the change: the token followed, both probabilities, bits', () => {
  const baseline = fixtureInspection();
  const ablated = fixtureAblated(baseline, 2);
  const rows = readCsv(lensCsv(ablated, null, { inspection: baseline, name: 'unablated' }));
  assert.deepEqual(rows[0].slice(-4), ['change_id', 'change_prob', 'change_unablated_prob', 'change_bits']);
  // The output point (2) at position 0 follows " quick", whose probability both runs report exactly.
  const output = rows[1 + 2 * 23];
  assert.deepEqual(output.slice(0, 3), ['blocks.1.hook_resid_post', '2', '0']);
  assert.equal(output.at(-4), String(baseline.tokens[1].id));
  const bits = Math.log2(ablated.next.prob.data[0] / baseline.next.prob.data[0]);
  assert.equal(Number(output.at(-1)), Number(bits.toPrecision(7)));
  assert.equal(rows[23][rows[0].length - 1], '', 'nothing follows the last token');
});

test('the attention table lists the causal entries of the chosen head', () => {
  const inspection = fixtureInspection();
  const pattern = (layer: number, head: number | null) => squarePattern(headOfLayer(inspection.attention.patterns[layer]!, head));
  const rows = readCsv(attentionCsv(inspection, { layer: 1, head: 2 }, pattern(1, 2)));
  assert.equal(rows.length, 1 + (23 * 24) / 2);
  assert.deepEqual(rows[1].slice(0, 7), ['blocks.1.attn.hook_pattern', '1', '2', '0', '0', 'The', 'The']);
  assert.ok(Math.abs(Number(rows[1][7]) - 1) < 1e-6, 'the first query can only attend to itself');
  assert.deepEqual(readCsv(attentionCsv(inspection, { layer: 0, head: null }, pattern(0, null)))[1].slice(0, 3), ['blocks.0.attn.hook_pattern', '0', 'mean']);
});

test('a token holding part of a character is written by its bytes in every table, never as "�"', () => {
  // The fixture's "’" is GPT-2's 447 (E2 80) at position 17 and 247 (99) at 18; both cover the character.
  const inspection = fixtureInspection();
  const at = fixtureText.indexOf('’');
  const tokens = readCsv(tokensCsv(inspection));
  assert.deepEqual(tokens[18].slice(0, 5), ['17', '447', '⟨0xE2⟩⟨0x80⟩', String(at), String(at + 1)]);
  assert.deepEqual(tokens[19].slice(0, 5), ['18', '247', '⟨0x99⟩', String(at), String(at + 1)]);
  // The output point at position 17 is sure of the rest of the character.
  const lens = readCsv(lensCsv(inspection, null));
  assert.deepEqual(lens[1 + 2 * 23 + 17].slice(2, 6), ['17', '⟨0xE2⟩⟨0x80⟩', '247', '⟨0x99⟩']);
  const pattern = squarePattern(headOfLayer(inspection.attention.patterns[0]!, 0));
  const attention = readCsv(attentionCsv(inspection, { layer: 0, head: 0 }, pattern));
  assert.deepEqual(attention.find((row) => row[3] === '18' && row[4] === '17')?.slice(5, 7), ['⟨0x99⟩', '⟨0xE2⟩⟨0x80⟩']);
  for (const table of [tokensCsv(inspection), lensCsv(inspection, null), attentionCsv(inspection, { layer: 0, head: 0 }, pattern)]) assert.ok(!table.includes('\ufffd'));
});
