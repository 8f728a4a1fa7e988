// Validation of host ↔ model process messages where they enter. A malformed message never reaches a
// handler: the process answers it with an error, the host logs it; neither side crashes.

import {
  array,
  boolean,
  fail,
  finite,
  integer,
  InvalidMessage,
  nullable,
  oneOf,
  record,
  string,
  type Reader,
} from './guards';
import { dimOf, inspection, layerPattern, modelSummary, token, tokenPiece, tokenReading } from './inspection-guard';
import { ERROR_CODES } from './errors';
import { PATCH_HOOKS, type AblationSetting, type AttributionReport, type PatchReport, type Steering } from './interventions';
import { ablationSetting, attributionReport, headCatalogue, headWrites, patchReport, routeImportances } from './experiment-guards';
import type { HeadWrites } from './head-writes';
import type { HeadCatalogue } from './head-scores';
import type { RouteImportances } from './routes';
import {
  MODEL_METHODS,
  type AttributeParams,
  type PatchParams,
  type RoutesParams,
  type HeadsParams,
  GENERATION_STOPS,
  type CompareParams,
  type CompareResult,
  type HeadWritesParams,
  type CompleteParams,
  type CompleteResult,
  type Continuation,
  type GeneratedToken,
  type HostToModel,
  type InspectParams,
  type InspectResult,
  type ReadParams,
  type ReadResult,
  type LoadParams,
  type LoadResult,
  type ModelRequests,
  type PatternParams,
  type PatternResult,
  type ModelSource,
  type ModelToHost,
  type Progress,
  type ProxySettings,
  type TargetParams,
  type TargetResult,
} from './model-messages';

type Readers<K extends 'params' | 'result'> = { readonly [M in keyof ModelRequests]: Reader<ModelRequests[M][K]> };

// A whole GPT-2 context of text is at most a few hundred KB; far larger strings are a mistake or an attack.
const MAX_TEXT = 4 * 1024 * 1024;
const text: Reader<string> = (v, p) => {
  const s = string(v, p);
  if (s.length > MAX_TEXT) throw new InvalidMessage(`${p}: text of ${s.length} characters is over the limit of ${MAX_TEXT}`);
  return s;
};

// A byte-level BPE token spells at least one byte of the text, so more ids than MAX_TEXT cannot spell one.
const ids: Reader<number[]> = (v, p) => {
  if (Array.isArray(v) && v.length > MAX_TEXT) throw new InvalidMessage(`${p}: ${v.length} token ids are over the limit of ${MAX_TEXT}`);
  return array((x, q) => integer(x, q, 0))(v, p);
};

const layer: Reader<number> = (v, p) => integer(v, p, 0);

const source: Reader<ModelSource> = (v, p) => {
  const f = record(v, p);
  const kind = oneOf(['folder', 'hub'] as const)(f.kind, `${p}.kind`);
  if (kind === 'folder') return { kind, path: string(f.path, `${p}.path`) };
  return f.revision === undefined ? { kind, repo: string(f.repo, `${p}.repo`) } : { kind, repo: string(f.repo, `${p}.repo`), revision: string(f.revision, `${p}.revision`) };
};

const proxy: Reader<ProxySettings> = (v, p) => {
  const f = record(v, p);
  return {
    url: string(f.url, `${p}.url`),
    strictSSL: boolean(f.strictSSL, `${p}.strictSSL`),
    ...(f.authorization === undefined ? {} : { authorization: string(f.authorization, `${p}.authorization`) }),
  };
};

const params: Readers<'params'> = {
  'model/load': (v, p): LoadParams => {
    const f = record(v, p);
    return {
      source: source(f.source, `${p}.source`),
      device: oneOf(['auto', 'cpu', 'webgpu'] as const)(f.device, `${p}.device`),
      storageDir: string(f.storageDir, `${p}.storageDir`),
      ...(f.hubEndpoint === undefined ? {} : { hubEndpoint: string(f.hubEndpoint, `${p}.hubEndpoint`) }),
      ...(f.proxy === undefined ? {} : { proxy: proxy(f.proxy, `${p}.proxy`) }),
    };
  },
  'inspect/run': (v, p): InspectParams => {
    const f = record(v, p);
    return {
      text: text(f.text, `${p}.text`),
      topK: integer(f.topK, `${p}.topK`, 1),
      targetId: nullable((x, q) => integer(x, q, 0))(f.targetId, `${p}.targetId`),
      windowToContext: boolean(f.windowToContext, `${p}.windowToContext`),
      ...(f.ids === undefined ? {} : { ids: ids(f.ids, `${p}.ids`) }),
      ...(f.patternLayers === undefined ? {} : { patternLayers: array(layer)(f.patternLayers, `${p}.patternLayers`) }),
      ...optionalAblation(f, p),
      ...(f.tokensFirst === undefined ? {} : { tokensFirst: boolean(f.tokensFirst, `${p}.tokensFirst`) }),
    };
  },
  'tokens/read': (v, p): ReadParams => {
    const f = record(v, p);
    return { text: text(f.text, `${p}.text`), topK: integer(f.topK, `${p}.topK`, 1), windowToContext: boolean(f.windowToContext, `${p}.windowToContext`) };
  },
  'attention/pattern': (v, p): PatternParams => {
    const f = record(v, p);
    return { ids: ids(f.ids, `${p}.ids`), layer: layer(f.layer, `${p}.layer`), ...optionalAblation(f, p) };
  },
  'lens/target': (v, p): TargetParams => ({ text: text(record(v, p).text, `${p}.text`) }),
  'complete/run': (v, p): CompleteParams => {
    const f = record(v, p);
    return { ...generationParams(f, p), ...(f.steering === undefined ? {} : { steering: steering(f.steering, `${p}.steering`) }) };
  },
  'complete/compare': (v, p): CompareParams => {
    const f = record(v, p);
    return { ...generationParams(f, p), steering: steering(f.steering, `${p}.steering`) };
  },
  'heads/score': (v, p): HeadsParams => {
    const f = record(v, p);
    return { repeatLength: integer(f.repeatLength, `${p}.repeatLength`, 1), probes: integer(f.probes, `${p}.probes`, 1) };
  },
  'heads/writes': (v, p): HeadWritesParams => {
    const f = record(v, p);
    return {
      ids: ids(f.ids, `${p}.ids`),
      position: integer(f.position, `${p}.position`, 0),
      layer: layer(f.layer, `${p}.layer`),
      head: integer(f.head, `${p}.head`, 0),
      ...optionalAblation(f, p),
    };
  },
  'attribute/run': (v, p): AttributeParams => {
    const f = record(v, p);
    return {
      ids: ids(f.ids, `${p}.ids`),
      position: integer(f.position, `${p}.position`, 0),
      targetId: id(f.targetId, `${p}.targetId`),
      versusId: nullable(id)(f.versusId, `${p}.versusId`),
      ...optionalAblation(f, p),
    };
  },
  'patch/run': (v, p): PatchParams => {
    const f = record(v, p);
    return {
      clean: ids(f.clean, `${p}.clean`),
      corrupt: ids(f.corrupt, `${p}.corrupt`),
      hook: oneOf(PATCH_HOOKS)(f.hook, `${p}.hook`),
      targetId: id(f.targetId, `${p}.targetId`),
      versusId: nullable(id)(f.versusId, `${p}.versusId`),
    };
  },
  'routes/run': (v, p): RoutesParams => ({ ids: ids(record(v, p).ids, `${p}.ids`) }),
};

/** What a completion and a comparison ask of generation alike. */
function generationParams(f: Record<string, unknown>, p: string): Omit<CompleteParams, 'steering'> {
  return {
    prompt: text(f.prompt, `${p}.prompt`),
    maxNewTokens: integer(f.maxNewTokens, `${p}.maxNewTokens`, 1),
    temperature: finite(f.temperature, `${p}.temperature`),
    topK: integer(f.topK, `${p}.topK`, 0),
    topP: finite(f.topP, `${p}.topP`),
    ...(f.seed === undefined ? {} : { seed: integer(f.seed, `${p}.seed`, 0) }),
    stopAtNewline: boolean(f.stopAtNewline, `${p}.stopAtNewline`),
    windowToContext: boolean(f.windowToContext, `${p}.windowToContext`),
  };
}

function optionalAblation(f: Record<string, unknown>, p: string): { ablation?: AblationSetting } {
  return f.ablation === undefined ? {} : { ablation: ablationSetting(f.ablation, `${p}.ablation`) };
}

export function steering(v: unknown, p: string): Steering {
  const f = record(v, p);
  return { add: text(f.add, `${p}.add`), subtract: text(f.subtract, `${p}.subtract`), layer: integer(f.layer, `${p}.layer`, 0), scale: finite(f.scale, `${p}.scale`) };
}

/** A probability, where a generated token carries one. */
const probability: Reader<number> = (v, p) => {
  const x = finite(v, p);
  if (x < 0 || x > 1) fail(p, 'a probability from 0 to 1', x);
  return x;
};

const generatedToken: Reader<GeneratedToken> = (v, p) => ({ ...tokenPiece(v, p), prob: probability(record(v, p).prob, `${p}.prob`) });

export const continuation: Reader<Continuation> = (v, p) => {
  const f = record(v, p);
  return { tokens: array(generatedToken)(f.tokens, `${p}.tokens`), text: string(f.text, `${p}.text`), stop: oneOf(GENERATION_STOPS)(f.stop, `${p}.stop`) };
};

const results: Readers<'result'> = {
  'model/load': (v, p): LoadResult => {
    const f = record(v, p);
    return {
      summary: modelSummary(f.summary, `${p}.summary`),
      backend: oneOf(['cpu', 'webgpu'] as const)(f.backend, `${p}.backend`),
      randomWeights: boolean(f.randomWeights, `${p}.randomWeights`),
      seconds: finite(f.seconds, `${p}.seconds`),
    };
  },
  'inspect/run': (v, p): InspectResult => {
    const f = record(v, p);
    return {
      inspection: inspection(f.inspection, `${p}.inspection`),
      droppedTokens: integer(f.droppedTokens, `${p}.droppedTokens`, 0),
      textOffset: integer(f.textOffset, `${p}.textOffset`, 0),
    };
  },
  'attention/pattern': (v, p): PatternResult => {
    const f = record(v, p);
    const tokens = integer(f.tokens, `${p}.tokens`, 1);
    const heads = dimOf(f.pattern, `${p}.pattern`, 2, 0);
    return { layer: layer(f.layer, `${p}.layer`), tokens, pattern: layerPattern(heads, tokens)(f.pattern, `${p}.pattern`) };
  },
  'lens/target': (v, p): TargetResult => tokenPiece(v, p),
  'tokens/read': (v, p): ReadResult => {
    const f = record(v, p);
    return { reading: tokenReading(f.reading, `${p}.reading`), droppedTokens: integer(f.droppedTokens, `${p}.droppedTokens`, 0), textOffset: integer(f.textOffset, `${p}.textOffset`, 0) };
  },
  'complete/run': (v, p): CompleteResult => {
    const f = record(v, p);
    return {
      promptTokens: array(token)(f.promptTokens, `${p}.promptTokens`),
      tokens: array(generatedToken)(f.tokens, `${p}.tokens`),
      text: string(f.text, `${p}.text`),
      stop: oneOf(GENERATION_STOPS)(f.stop, `${p}.stop`),
      tokensPerSecond: finite(f.tokensPerSecond, `${p}.tokensPerSecond`),
      reusedTokens: integer(f.reusedTokens, `${p}.reusedTokens`, 0),
      textOffset: integer(f.textOffset, `${p}.textOffset`, 0),
    };
  },
  'complete/compare': (v, p): CompareResult => {
    const f = record(v, p);
    return {
      promptTokens: array(token)(f.promptTokens, `${p}.promptTokens`),
      textOffset: integer(f.textOffset, `${p}.textOffset`, 0),
      unsteered: continuation(f.unsteered, `${p}.unsteered`),
      steered: continuation(f.steered, `${p}.steered`),
    };
  },
  'attribute/run': (v, p): AttributionReport => attributionReport(v, p),
  'patch/run': (v, p): PatchReport => patchReport(v, p),
  'routes/run': (v, p): RouteImportances => routeImportances(v, p),
  'heads/score': (v, p): HeadCatalogue => headCatalogue(v, p),
  'heads/writes': (v, p): HeadWrites => headWrites(v, p),
};

const progress: Reader<Progress> = (v, p) => {
  const f = record(v, p);
  const kind = oneOf(['download', 'load', 'token', 'tokens'] as const)(f.kind, `${p}.kind`);
  if (kind === 'load') return { kind, message: string(f.message, `${p}.message`) };
  if (kind === 'tokens') {
    const seconds = (key: string) => {
      const x = finite(f[key], `${p}.${key}`);
      return x >= 0 ? x : fail(`${p}.${key}`, 'seconds ≥ 0', x);
    };
    return {
      kind,
      reading: tokenReading(f.reading, `${p}.reading`),
      droppedTokens: integer(f.droppedTokens, `${p}.droppedTokens`, 0),
      textOffset: integer(f.textOffset, `${p}.textOffset`, 0),
      seconds: seconds('seconds'),
      secondsLeft: seconds('secondsLeft'),
    };
  }
  if (kind === 'token') return { kind, ...tokenPiece(v, p) };
  const bytes = (key: string) => integer(f[key], `${p}.${key}`, 0);
  return { kind, file: string(f.file, `${p}.file`), receivedBytes: bytes('receivedBytes'), totalBytes: bytes('totalBytes'), overallReceived: bytes('overallReceived'), overallTotal: bytes('overallTotal') };
};

const id: Reader<number> = (v, p) => integer(v, p, 0);
const method = oneOf(MODEL_METHODS);

/** A message the model process received. On failure, `id` is the request's id when it could be read. */
export function parseHostToModel(raw: unknown): HostToModel | { error: string; id: number | null } {
  let requestId: number | null = null;
  try {
    const f = record(raw, 'message');
    const type = oneOf(['request', 'cancel'] as const)(f.type, 'message.type');
    requestId = id(f.id, 'message.id');
    if (type === 'cancel') return { type, id: requestId };
    const m = method(f.method, 'message.method');
    return { type, id: requestId, method: m, params: params[m](f.params, 'message.params') };
  } catch (error) {
    if (error instanceof InvalidMessage) return { error: error.message, id: requestId };
    throw error;
  }
}

/**
 * A message the host received from the model process. Results are checked against the method of the
 * request they answer, which only the host knows. Tell a refusal from a message by `'type' in parsed`:
 * an 'error' message has an `error` field too.
 */
export function parseModelToHost(raw: unknown, methodOf: (id: number) => keyof ModelRequests | undefined): ModelToHost | { error: string } {
  try {
    const f = record(raw, 'message');
    const type = oneOf(['result', 'error', 'progress', 'log', 'ready'] as const)(f.type, 'message.type');
    switch (type) {
      case 'ready':
        return { type, pid: integer(f.pid, 'message.pid', 0) };
      case 'log':
        return { type, message: string(f.message, 'message.message') };
      case 'progress':
        return { type, id: id(f.id, 'message.id'), progress: progress(f.progress, 'message.progress') };
      case 'error': {
        const e = record(f.error, 'message.error');
        return { type, id: nullable(id)(f.id, 'message.id'), error: { code: oneOf(ERROR_CODES)(e.code, 'message.error.code'), message: string(e.message, 'message.error.message') } };
      }
      case 'result': {
        const requestId = id(f.id, 'message.id');
        const m = methodOf(requestId);
        if (!m) return fail('message.id', 'the id of a pending request', requestId);
        return { type, id: requestId, result: results[m](f.result, 'message.result') };
      }
    }
  } catch (error) {
    if (error instanceof InvalidMessage) return { error: error.message };
    throw error;
  }
}
