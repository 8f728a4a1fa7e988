// What a model folder's tokenizer.json must be for Glassbox's answers to be right: GPT-2's byte-level BPE.
// Token texts are mapped back onto the user's text by their bytes, so a normalizer that rewrites the text
// first (NFKC, Lowercase, …) would put every token at the wrong place; and a token id past the embedding's
// rows has no vector at all. Both are refused here, naming what is wrong, before a graph is built.

import { GlassboxError } from '../../protocol/errors';

export function checkGpt2Tokenizer(json: Buffer, path: string, vocabSize: number): void {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    throw new GlassboxError('model-corrupt', `${path} is not valid JSON.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GlassboxError('model-corrupt', `${path} is not a JSON object.`);
  const t = raw as { normalizer?: unknown; pre_tokenizer?: unknown; model?: { type?: unknown; vocab?: unknown }; added_tokens?: unknown };
  if (t.normalizer !== null && t.normalizer !== undefined) {
    throw new GlassboxError('model-unsupported', `${path} has a ${describe(t.normalizer)} normalizer; Glassbox runs GPT-2's byte-level tokenizer, which has none (token positions in your text would be wrong).`);
  }
  if (typeOf(t.pre_tokenizer) !== 'ByteLevel') {
    throw new GlassboxError('model-unsupported', `${path} has a ${describe(t.pre_tokenizer)} pre-tokenizer; Glassbox runs GPT-2's byte-level ("ByteLevel") tokenizer.`);
  }
  if (t.model?.type !== undefined && t.model.type !== 'BPE') {
    throw new GlassboxError('model-unsupported', `${path} is a ${JSON.stringify(t.model.type)} tokenizer; Glassbox runs GPT-2's BPE.`);
  }
  const vocab = typeof t.model?.vocab === 'object' && t.model.vocab !== null ? Object.entries(t.model.vocab as Record<string, unknown>) : [];
  const added = Array.isArray(t.added_tokens) ? (t.added_tokens as { id?: unknown; content?: unknown }[]).map((a) => [String(a?.content), a?.id] as const) : [];
  for (const [token, id] of [...vocab, ...added]) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      throw new GlassboxError('model-unsupported', `${path} gives the token ${JSON.stringify(token)} the id ${JSON.stringify(id)}, outside the model's vocabulary of ${vocabSize} (config.json's vocab_size): it has no embedding.`);
    }
  }
}

function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
}

function describe(value: unknown): string {
  const type = typeOf(value);
  if (type === 'Sequence') {
    const parts = (value as { normalizers?: unknown[]; pretokenizers?: unknown[] }).normalizers ?? (value as { pretokenizers?: unknown[] }).pretokenizers ?? [];
    return `Sequence [${parts.map((p) => String(typeOf(p))).join(', ')}]`;
  }
  return type === undefined ? JSON.stringify(value) ?? 'missing' : JSON.stringify(type);
}
