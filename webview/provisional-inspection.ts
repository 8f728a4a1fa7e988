// The tokens painted first: an inspection still running has sent only its tokens' reading (the model's own
// next-token distribution, protocol/inspection.ts TokenReading). Shaped as an Inspection whose lens has that
// one point — the final one, which is what it is — the Tokens tab draws it as it draws any; the other tabs
// wait for the finished inspection (main.ts shows them as pending meanwhile).

import { patternHookNames, residHookNames, thumbnailTiles, type Inspection, type TokenReading } from '../protocol/inspection';

export function provisionalInspection(reading: TokenReading): Inspection {
  const { model, tokens } = reading;
  const n = tokens.length;
  const [, k] = reading.top.ids.dims;
  const tiles = thumbnailTiles(n);
  return {
    model,
    backend: reading.backend,
    tokens,
    pieces: reading.pieces,
    next: reading.next,
    lens: {
      hooks: residHookNames(model.nLayer).slice(-1),
      topIds: { dims: [1, n, k], data: reading.top.ids.data },
      topProbs: { dims: [1, n, k], data: reading.top.probs.data },
      entropy: { dims: [1, n], data: reading.entropy.data },
      // KL(final ‖ final) is 0 at the one point there is.
      kl: { dims: [1, n], data: new Float32Array(n) },
      target: null,
    },
    // Never drawn: the Attention tab waits for the finished inspection.
    attention: {
      hooks: patternHookNames(model.nLayer),
      thumbnails: Array.from({ length: model.nLayer }, () => ({ dims: [model.nHead + 1, tiles, tiles], data: new Float32Array((model.nHead + 1) * tiles * tiles) })),
      patterns: Array.from({ length: model.nLayer }, () => null),
    },
  };
}
