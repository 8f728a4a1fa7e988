// The CSV exports: one long-format table per tab, ready for pandas or a spreadsheet. Ranks are 0-based as
// in the protocol and the CLI's JSON (0 = the most likely token); probabilities are plain fractions. A token's
// text is written as it is, but one holding part of a character by its bytes (pieceText: ⟨0xE2⟩⟨0x80⟩), since
// its text alone is a "�" that says nothing of which bytes it holds.

import type { Inspection } from '../protocol/inspection';
import type { HeadRef } from './attention-layout';
import type { TargetToken } from './lens-cells';
import { lensChanges, type LensBaseline } from './lens-change';
import { surprisalBits } from '../protocol/inspection-reading';
import { pieceText } from '../protocol/token-piece';

type Field = string | number | null;

function csvField(value: Field): string {
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) return '';
  // Float32 values carry about 7 significant digits; printing the float64 widening would invent more.
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(7)))) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: readonly Field[]): string {
  return values.map(csvField).join(',');
}

function csv(header: readonly string[], rows: Iterable<readonly Field[]>): string {
  const lines = [csvRow(header)];
  for (const row of rows) lines.push(csvRow(row));
  return `${lines.join('\n')}\n`;
}

/**
 * One row per token; `prob`/`rank0` are how the model rated this token when predicting it (none for the first).
 * Ranks in data are 0-based, 0 = the top guess, as in the CLI's JSON and TransformerLens; the column name says
 * so, since the views show the top guess as #1.
 */
export function tokensCsv(inspection: Inspection): string {
  const { tokens, next } = inspection;
  return csv(
    ['position', 'id', 'text', 'start', 'end', 'prob', 'rank0', 'surprisal_bits'],
    tokens.map((t, j) => {
      const prob = j > 0 ? next.prob.data[j - 1] : Number.NaN;
      const rank = j > 0 ? next.rank.data[j - 1] : null;
      return [j, t.id, pieceText(t), t.start, t.end, prob, rank, j > 0 ? surprisalBits(prob) : null];
    }),
  );
}

/**
 * With a `baseline` (webview/lens-change.ts), four more columns: the token the change follows, its lens
 * probability in the shown run and in the baseline (empty where outside a run's top-k), and log₂ of their ratio.
 */
export function lensCsv(inspection: Inspection, target: TargetToken | null, baseline: LensBaseline | null = null): string {
  const { lens, tokens, pieces } = inspection;
  const [points, n, k] = lens.topIds.dims;
  const exact = target?.exact && target.exact.id === target.id ? target.exact : null;
  const changeAt = baseline ? lensChanges(inspection, exact, baseline.inspection, target?.id ?? null) : null;
  const header = ['hook', 'point', 'position', 'input_text', 'top1_id', 'top1_text', 'top1_prob', 'entropy_nats', 'kl_nats'];
  if (target) header.push('target_id', 'target_prob', 'target_rank0');
  if (baseline) header.push('change_id', 'change_prob', `change_${baseline.name}_prob`, 'change_bits');
  function* rows(): Generator<Field[]> {
    for (let p = 0; p < points; p++) {
      for (let t = 0; t < n; t++) {
        const at = p * n + t;
        const id = lens.topIds.data[at * k];
        const top = pieces[id];
        const row: Field[] = [lens.hooks[p], p, t, pieceText(tokens[t]), id, top ? pieceText(top) : '', lens.topProbs.data[at * k], lens.entropy.data[at], lens.kl.data[at]];
        if (target) {
          // Without exact values a target outside the top-k has no known probability: leave it empty.
          const j = lens.topIds.data.subarray(at * k, at * k + k).indexOf(target.id);
          const prob = exact ? exact.prob.data[at] : j >= 0 ? lens.topProbs.data[at * k + j] : null;
          const rank = exact ? exact.rank.data[at] : j >= 0 ? j : null;
          row.push(target.id, prob, rank);
        }
        if (changeAt) {
          const change = changeAt(p, t);
          row.push(change?.id ?? null, change?.shown ?? null, change?.baseline ?? null, change?.bits ?? null);
        }
        yield row;
      }
    }
  }
  return csv(header, rows());
}

/** The selected head's [query, key] pattern (or the layer mean, as headPattern gives it), causal entries only. */
export function attentionCsv(inspection: Inspection, ref: HeadRef, pattern: Float32Array): string {
  const n = inspection.tokens.length;
  const hook = inspection.attention.hooks[ref.layer];
  const head = ref.head === null ? 'mean' : ref.head;
  const { tokens } = inspection;
  function* rows(): Generator<Field[]> {
    for (let q = 0; q < n; q++) {
      for (let key = 0; key <= q; key++) yield [hook, ref.layer, head, q, key, pieceText(tokens[q]), pieceText(tokens[key]), pattern[q * n + key]];
    }
  }
  return csv(['hook', 'layer', 'head', 'query', 'key', 'query_text', 'key_text', 'weight'], rows());
}
