// The head catalogue's scores as they travel: four kinds, each [layer][head] (engine/experiments/head-scores.ts
// states the definitions).

export const HEAD_SCORE_KINDS = ['previousToken', 'firstToken', 'duplicateToken', 'induction'] as const;
export type HeadScoreKind = (typeof HEAD_SCORE_KINDS)[number];

/** [layer][head] per kind. */
export type HeadScores = Readonly<Record<HeadScoreKind, readonly (readonly number[])[]>>;

/** The catalogue of a model: scores averaged over `probes` seeded probe sequences of `repeatLength` tokens repeated. */
export interface HeadCatalogue {
  readonly scores: HeadScores;
  readonly repeatLength: number;
  readonly probes: number;
}
