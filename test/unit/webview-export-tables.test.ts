import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attentionCsv, csvRow, lensCsv, tokensCsv } from '../../webview/export-tables';
import { headOfLayer } from '../../protocol/inspection';
import { squarePattern } from '../../webview/attention-layout';
import { fixtureAblated, fixtureInspection, fixtureLensTarget } from './webview-fixture';

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
  assert.equal(rows.length, 21);
  assert.deepEqual(rows[1], ['0', '464', 'The', '0', '3', '', '', ''], 'nothing predicted the first token');
  assert.deepEqual(rows[2].slice(0, 5), ['1', '2068', ' quick', '3', '9']);
  assert.equal(Number(rows[2][5]), Number(inspection.next.prob.data[0].toPrecision(7)));
  assert.equal(rows[2][6], '37', 'GPT-2 rarely guesses " quick" after "The"');
  assert.deepEqual(rows[15].slice(0, 5), ['14', '198', '\n', '65', '66'], 'a newline token survives quoting');
});

test('the lens table has one row per point and position, with target columns when a target is set', () => {
  const inspection = fixtureInspection();
  const plain = readCsv(lensCsv(inspection, null));
  assert.equal(plain.length, 1 + 3 * 20);
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
  const output = rows[1 + 2 * 20];
  assert.deepEqual(output.slice(0, 3), ['blocks.1.hook_resid_post', '2', '0']);
  assert.equal(output.at(-4), String(baseline.tokens[1].id));
  const bits = Math.log2(ablated.next.prob.data[0] / baseline.next.prob.data[0]);
  assert.equal(Number(output.at(-1)), Number(bits.toPrecision(7)));
  assert.equal(rows[20][rows[0].length - 1], '', 'nothing follows the last token');
});

test('the attention table lists the causal entries of the chosen head', () => {
  const inspection = fixtureInspection();
  const pattern = (layer: number, head: number | null) => squarePattern(headOfLayer(inspection.attention.patterns[layer]!, head));
  const rows = readCsv(attentionCsv(inspection, { layer: 1, head: 2 }, pattern(1, 2)));
  assert.equal(rows.length, 1 + (20 * 21) / 2);
  assert.deepEqual(rows[1].slice(0, 7), ['blocks.1.attn.hook_pattern', '1', '2', '0', '0', 'The', 'The']);
  assert.ok(Math.abs(Number(rows[1][7]) - 1) < 1e-6, 'the first query can only attend to itself');
  assert.deepEqual(readCsv(attentionCsv(inspection, { layer: 0, head: null }, pattern(0, null)))[1].slice(0, 3), ['blocks.0.attn.hook_pattern', '0', 'mean']);
});
