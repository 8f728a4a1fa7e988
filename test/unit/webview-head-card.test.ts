// The head card's pure parts: how a written token is labelled, and the document "Save card as JSON" writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pieceLabel } from '../../protocol/token-piece';
import { headCardDocument } from '../../webview/head-card-document';
import { fixtureHeadCatalogue, fixtureHeadWrites, fixtureInspection } from './webview-fixture';

test('a token is labelled as the other views label it: visible whitespace, or its bytes when it is part of a character', () => {
  assert.equal(pieceLabel({ id: 262, text: ' the' }), '·the');
  assert.equal(pieceLabel({ id: 198, text: '\n' }), '⏎');
  assert.equal(pieceLabel({ id: 158, text: '\ufffd', bytes: [0xe2] }), '⟨0xE2⟩');
  assert.equal(pieceLabel({ id: 447, text: '\ufffd', bytes: [0xe2, 0x80] }), '⟨0xE2⟩⟨0x80⟩');
});

test('the card document: the head, its four scores and their probes, what it writes with the definitions', () => {
  const inspection = fixtureInspection({ layers: 2, heads: 4 });
  const catalogue = fixtureHeadCatalogue(2, 4);
  const writes = fixtureHeadWrites(inspection, { layer: 1, head: 3, position: 6 });
  const document = headCardDocument('gpt2', catalogue, { layer: 1, head: 3 }, writes);
  assert.deepEqual(
    { ...document, writes: null },
    {
      model: 'gpt2',
      layer: 1,
      head: 3,
      hook: 'blocks.1.attn',
      scores: { previousToken: catalogue.scores.previousToken[1][3], firstToken: catalogue.scores.firstToken[1][3], duplicateToken: catalogue.scores.duplicateToken[1][3], induction: catalogue.scores.induction[1][3] },
      probes: { count: 4, repeatLength: 50 },
      writes: null,
    },
  );
  assert.deepEqual(document.writes?.sources, writes.sources);
  assert.match(document.writes?.definitions.ov ?? '', /no layer norms/);
  assert.match(document.writes?.definitions.directEffect ?? '', /hook_result/);
  assert.equal(headCardDocument('gpt2', catalogue, { layer: 0, head: 0 }, null).writes, null, 'before the model answers: the scores alone');
});
