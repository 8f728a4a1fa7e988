// A stand-in for the extension host in the dev preview: provides `acquireVsCodeApi`, answers `panel/ready`
// with the test fixture, `lens/target` with the fixture's target, `why/attribute` with a fixture attribution
// (of the pinned text's fixture when asked for it),
// `heads/writes` with a fixture of what a head writes and `ablation/set` with the fixture read as an ablated
// model might, and records everything the panel posts
// (on `window.glassboxPreview`) so a script driving the page can check it. Never part of the product bundle.

import { headOfLayer, withoutPatterns } from '../../protocol/inspection';
import {
  AblationSet,
  AttentionPatternRequest,
  AttentionPatternResult,
  type AttentionPatternRequestPayload,
  ComparePin,
  PatchRequest,
  PatchResult,
  RoutesRequest,
  RoutesResult,
  TokenResolve,
  TokenResolved,
  InspectionProgress,
  InspectionShow,
  InspectionTokens,
  LensTargetRequest,
  LensTargetResult,
  PanelReady,
  WhyAttribute,
  WhyResult,
  HeadsRequest,
  HeadsResult,
  HeadWritesRequest,
  HeadWritesResult,
  type HeadWritesRequestPayload,
  type AblationSetPayload,
  type ComparePinPayload,
  type PatchRequestPayload,
  type PinnedView,
  type WhyAttributePayload,
  type HostToWebview,
  type InspectionShowPayload,
} from '../../protocol/panel-messages';
import { fixtureAblated, fixtureAttribution, fixtureCounterfactual, fixtureHeadCatalogue, fixtureHeadWrites, fixtureLensTarget, fixturePatchReport, fixtureReading, fixtureRoutes, fixtureShow } from '../../test/unit/webview-fixture';
import { themes, type ThemeName } from './themes';

const params = new URLSearchParams(location.search);
const theme = (params.get('theme') ?? 'dark') as ThemeName;
const { bodyClass, variables } = themes[theme] ?? themes.dark;
for (const [name, value] of Object.entries(variables)) document.documentElement.style.setProperty(name, value);
document.addEventListener('DOMContentLoaded', () => document.body.classList.add(bodyClass));

const fixture = fixtureShow({
  // Without `tokens`, the fixture's own sentence, whose last words follow the split "’".
  tokens: params.has('tokens') ? Number(params.get('tokens')) : undefined,
  layers: Number(params.get('layers') ?? 2),
  heads: Number(params.get('heads') ?? 4),
  randomWeights: params.has('random'),
  droppedTokens: params.has('windowed') ? 37 : 0,
});
// `generated=12`: show the fixture as an explained completion whose tokens from 12 on were generated.
const generatedFrom = params.get('generated');
// As the host sends it: patterns come a head at a time (`attention/pattern`, answered from the fixture's).
const sent = { ...fixture, inspection: withoutPatterns(fixture.inspection) };
const show: InspectionShowPayload = generatedFrom === null
  ? sent
  : { ...sent, source: { ...sent.source, generated: { start: Number(generatedFrom), end: sent.inspection.tokens.length } } };

const posted: unknown[] = [];
let pinned: PinnedView | null = null;
const send = (message: HostToWebview): void => window.postMessage(message, '*');
let saved: unknown = params.has('state') ? JSON.parse(params.get('state') ?? 'null') : undefined;

function receive(message: { type: string; payload: Record<string, unknown> }): void {
  posted.push(message);
  if (message.type === PanelReady && !params.has('empty')) {
    // `tokensFirst`: as a long inspection arrives, its tokens' reading first and the whole a while later.
    if (params.has('tokensFirst')) {
      setTimeout(() => send({ type: InspectionTokens, payload: { reading: fixtureReading(show.inspection), source: show.source } }), 10);
      const message = `${show.inspection.tokens.length} tokens: probabilities shown; computing the logit lens and attention (about 3 s left)…`;
      setTimeout(() => send({ type: InspectionProgress, payload: { message, fraction: 0.4 } }), 20);
      setTimeout(() => send({ type: InspectionShow, payload: show }), Number(params.get('tokensFirst') || 600));
    } else setTimeout(() => send({ type: InspectionShow, payload: show }), 10);
  }
  if (message.type === LensTargetRequest) {
    const { requestId, id } = message.payload as { requestId: number; id: number | null };
    const target = fixtureLensTarget(show.inspection, id ?? 3290);
    const piece = show.inspection.pieces[target.id] ?? { id: target.id, text: ' dog' };
    setTimeout(() => send({ type: LensTargetResult, payload: { requestId, outcome: { piece, target } } }), 150);
  }
  if (message.type === AttentionPatternRequest) {
    const { requestId, layer, head } = message.payload as unknown as AttentionPatternRequestPayload;
    const carried = fixture.inspection.attention.patterns[layer];
    const outcome = carried ? { pattern: headOfLayer(carried, head) } : { error: `the fixture has no layer ${layer}` };
    setTimeout(() => send({ type: AttentionPatternResult, payload: { requestId, layer, head, outcome } }), 30);
  }
  if (message.type === HeadsRequest) {
    const { requestId } = message.payload as { requestId: number };
    const { nLayer, nHead } = show.inspection.model;
    setTimeout(() => send({ type: HeadsResult, payload: { requestId, outcome: { catalogue: fixtureHeadCatalogue(nLayer, nHead) } } }), 150);
  }
  if (message.type === HeadWritesRequest) {
    const { requestId, ...question } = message.payload as unknown as HeadWritesRequestPayload;
    setTimeout(() => send({ type: HeadWritesResult, payload: { requestId, outcome: { writes: fixtureHeadWrites(show.inspection, question) } } }), 150);
  }
  if (message.type === AblationSet) {
    const { ablation } = message.payload as unknown as AblationSetPayload;
    const answer: InspectionShowPayload = ablation.ablations.length === 0 ? show : { ...show, inspection: fixtureAblated(show.inspection, ablation.ablations.length), ablated: { setting: ablation, baseline: show.inspection } };
    setTimeout(() => send({ type: InspectionShow, payload: answer }), 150);
  }
  if (message.type === TokenResolve) {
    const { requestId, text } = message.payload as { requestId: number; text: string };
    const outcome = text === ' dog' ? { id: 3290, text } : { error: `A target must be a single token; ${JSON.stringify(text)} is 2 tokens. Try it with or without a leading space.` };
    setTimeout(() => send({ type: TokenResolved, payload: { requestId, outcome } }), 50);
  }
  if (message.type === RoutesRequest) {
    const { requestId } = message.payload as { requestId: number };
    setTimeout(() => send({ type: RoutesResult, payload: { requestId, outcome: { routes: fixtureRoutes(show.inspection) } } }), 150);
  }
  if (message.type === ComparePin) {
    const { pin } = message.payload as unknown as ComparePinPayload;
    pinned = pin ? { uri: 'file:///home/user/notes/cat.md', inspection: fixtureCounterfactual(show.inspection) } : null;
    setTimeout(() => send({ type: InspectionShow, payload: { ...show, pinned } }), 10);
  }
  if (message.type === PatchRequest) {
    const { requestId, ...question } = message.payload as unknown as PatchRequestPayload;
    setTimeout(() => send({ type: PatchResult, payload: { requestId, outcome: { report: fixturePatchReport(show.inspection, question) } } }), 300);
  }
  if (message.type === WhyAttribute) {
    const { requestId, of, ...question } = message.payload as unknown as WhyAttributePayload;
    const attributed = of === 'pinned' ? pinned?.inspection : show.inspection;
    const outcome = attributed ? { report: fixtureAttribution(attributed, question) } : { error: 'Pin a text as the baseline first.' };
    setTimeout(() => send({ type: WhyResult, payload: { requestId, outcome } }), 150);
  }
}

// When the page last received a message, for scripts timing what the panel does with one: this listener is
// added before the panel's, so it runs first.
let received = 0;
addEventListener('message', () => {
  received = performance.now();
});

Object.assign(window, {
  acquireVsCodeApi: () => ({
    postMessage: (message: { type: string; payload: Record<string, unknown> }) => receive(message),
    getState: () => saved,
    setState: (state: unknown) => {
      saved = state;
    },
  }),
  // `reading`: what a long inspection sends first (`inspection/tokens`), for scripts that replay it.
  glassboxPreview: { posted, send, show, reading: fixtureReading(show.inspection), received: () => received },
});
