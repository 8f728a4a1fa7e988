// The one place tensors are spelled out as nested JSON: the CLI's `inspect --json` format, which the
// panel's JSON export writes too, so scripts can read either.

import { patternRow, type Inspection, type Token } from './inspection';
import { lensTopK, type TopEntry } from './inspection-reading';

export type JsonTopEntry = TopEntry;

export interface InspectionJson {
  readonly model: Inspection['model'];
  readonly backend: Inspection['backend'];
  /** A token holding part of a character has `bytes` (its UTF-8 bytes) beside its `text` (U+FFFD); so has a top-k entry. */
  readonly tokens: Token[];
  readonly logits: { topk: JsonTopEntry[]; next: { id: number; prob: number; rank: number } | null }[];
  readonly lens: { hook: string; positions: { topk: JsonTopEntry[]; entropy: number; kl: number; target: { prob: number; rank: number } | null }[] }[];
  /** [head][query][key] per layer; null for a layer the inspection did not carry in full (the CLI asks for every layer). */
  readonly attention: { hook: string; pattern: number[][][] | null }[];
}

export function inspectionToJson(inspection: Inspection): InspectionJson {
  const { tokens, lens, attention } = inspection;
  const n = tokens.length;
  const points = lens.topIds.dims[0];
  const top = (p: number, t: number): JsonTopEntry[] => lensTopK(inspection, p, t);
  return {
    model: inspection.model,
    backend: inspection.backend,
    tokens: tokens.map(({ id, text, bytes, start, end }) => ({ id, text, ...(bytes ? { bytes } : {}), start, end })),
    // The model's own next-token distribution is the lens at the last residual point.
    logits: tokens.map((_, t) => ({
      topk: top(points - 1, t),
      next: t + 1 < n ? { id: tokens[t + 1].id, prob: inspection.next.prob.data[t], rank: inspection.next.rank.data[t] } : null,
    })),
    lens: lens.hooks.map((hook, p) => ({
      hook,
      positions: tokens.map((_, t) => ({
        topk: top(p, t),
        entropy: lens.entropy.data[p * n + t],
        kl: lens.kl.data[p * n + t],
        target: lens.target ? { prob: lens.target.prob.data[p * n + t], rank: lens.target.rank.data[p * n + t] } : null,
      })),
    })),
    attention: attention.patterns.map((layer, l) => ({
      hook: attention.hooks[l],
      pattern: layer && Array.from({ length: layer.dims[0] }, (_, h) =>
        Array.from({ length: n }, (_, q) => {
          const row = patternRow(layer, h, q);
          return Array.from({ length: n }, (_, key) => (key <= q ? row[key] : 0));
        }),
      ),
    })),
  };
}
