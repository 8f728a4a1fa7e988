// npm run bench, typing part: a person typing prose against the real completion flow (extension/
// completion-flow.ts, with its debounce on real timers) and the real model process (dist/model-process.js)
// on the GPT-2-small-shaped benchmark model. The editor is simulated as VS Code drives a provider: every
// keystroke asks for a completion and cancels the request before it; ghost text is shown when a request
// that is still current returns a suggestion.
//
// The file is about 2,000 characters, but typing all of it at 10 characters a second takes over 200 s, so
// only its last --chars characters are typed (300 by default, about 30 s plus pauses); the rest is already
// in the document, so prompts are as long as they would be deep into the file. The typist pauses after each
// sentence and clause until the ghost text appears (or the flow settles with nothing to show), and hesitates
// now and then before a word, long enough for the debounce to start a run that the next keystroke cancels.
// At a pause where a suggestion appeared, the typist types its first --type-along characters, as someone
// does who reads the ghost text and types it out instead of pressing Tab: that is what the reuse rule is for,
// and with random weights the prose itself would almost never match a suggestion.
// Prints one JSON object, keyed `typing`.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { benchModelDir } from '../engine/bench/bench-model';
import { percentile, round } from '../engine/bench/bench-stats';
import { defaultCacheDir } from '../engine/models/cache-dir';
import { CompletionFlow, type CompletionBackend, type CompletionRequest } from '../extension/completion-flow';
import { PREFIX_WINDOW_CHARS } from '../extension/completion-prompt';
import type { CancellationLike } from '../extension/completion-scheduling';
import { COMPLETION_DEFAULTS } from '../extension/completion-settings';
import { CompletionStore, reusableSuggestion } from '../extension/completion-store';
import { ModelClient } from '../extension/model-client';
import { GlassboxError } from '../protocol/errors';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    chars: { type: 'string', default: '300' },
    'chars-per-s': { type: 'string', default: '10' },
    'type-along': { type: 'string', default: '4' },
  },
});

const PROSE = `The lighthouse keeper wrote down the weather every morning, though nobody had asked him to for years. Ships no longer needed the lamp. The harbour office had stopped reading his reports, but the habit kept the days apart, and he liked the sound of the pen.

On the first page of each notebook he copied the same sentence from his father: a light is only useful to someone who is not looking at it. He had never been sure what it meant. His father had not been a man for riddles, so perhaps it was only a joke about moths.

In the spring a woman came from the city to count the birds on the island. She stayed in the room above the store, and every evening she brought her tally to the kitchen table and read it out loud, as if he had asked. Gulls, mostly. Two pairs of oystercatchers. Once, a heron that stood in the shallows for an hour and then left without catching anything.

He began to write the birds into his notebook beside the weather. Wind from the west, light rain, eleven gulls. It made the pages longer and the mornings shorter. When she left at the end of the summer she gave him her binoculars, and he gave her the oldest notebook, the one with his father's sentence in it.

The next winter was the hardest he could remember. Storms came one after another, and for three weeks the boat from the mainland could not land. He kept the lamp burning anyway, out of stubbornness more than duty. On the worst night, a trawler that had lost its instruments found the harbour by the light. The skipper came up the hill the next morning to thank him. He was not looking at the lamp, the skipper said. He was looking at the rocks, and the light showed him where they were.

That spring a letter came from the city. The woman had shown the notebook to a friend who studied storms, and the friend wanted the others. He packed them into a tea chest, all forty years of wind and rain and gulls, and sent them on the boat. Then he bought a new notebook, wrote his father's sentence on the first page, and under it the weather.
`;

const DOCUMENT_URI = 'bench://prose.txt';
const PAUSE_AFTER = '.!?,;:';
/** Before a word, now and then, a hesitation longer than the debounce: a run starts and is overtaken. */
const HESITATION_MS = 400;
const HESITATION_CHANCE = 0.15;

/** One keystroke's request, as VS Code makes it: cancelled by the next keystroke. */
class Request implements CancellationLike {
  isCancellationRequested = false;
  private readonly listeners = new Set<() => void>();

  onCancellationRequested(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  cancel(): void {
    this.isCancellationRequested = true;
    for (const listener of [...this.listeners]) listener();
  }
}

/** A small seeded generator (mulberry32), so every run types with the same rhythm. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Counts {
  runsStarted: number;
  runsCancelled: number;
  runsFailed: number;
  suggestionsShown: number;
  reusedWithoutRun: number;
}

/** The simulated editor: a document typed into at the end, and the provider VS Code would call. */
class Editor {
  text: string;
  private version = 0;
  private current: Request | null = null;

  constructor(
    initial: string,
    private readonly flow: CompletionFlow,
    private readonly store: CompletionStore,
    private readonly counts: Counts,
  ) {
    this.text = initial;
  }

  /** Types one character and asks for ghost text; resolves with what is shown for it (undefined: nothing). */
  type(char: string, explicit = false): Promise<string | undefined> {
    this.text += char;
    this.version++;
    this.current?.cancel();
    const request = new Request();
    this.current = request;
    const version = this.version;
    const at: CompletionRequest = {
      documentUri: DOCUMENT_URI,
      languageId: 'plaintext',
      offset: this.text.length,
      prefix: this.text.slice(-PREFIX_WINDOW_CHARS),
      lineSuffix: '',
      explicit,
    };
    const reusable = reusableSuggestion(this.store.last, at) !== undefined;
    return this.flow.suggest(at, request, () => this.version === version).then((suggestion) => {
      if (suggestion === undefined || request.isCancellationRequested) return undefined;
      this.counts.suggestionsShown++;
      if (reusable) this.counts.reusedWithoutRun++;
      return suggestion;
    });
  }
}

function backendOf(client: ModelClient, nCtx: number, counts: Counts, logs: string[]): CompletionBackend {
  return {
    settings: () => COMPLETION_DEFAULTS,
    contextLength: async () => nCtx,
    complete: async (params, signal) => {
      counts.runsStarted++;
      try {
        const result = await client.request('complete/run', params, { signal });
        if (result.stop === 'cancelled') counts.runsCancelled++;
        return result;
      } catch (error) {
        if (error instanceof GlassboxError && error.code === 'cancelled') counts.runsCancelled++;
        else counts.runsFailed++;
        throw error;
      }
    },
    log: (message) => logs.push(message),
  };
}

async function main(): Promise<void> {
  const chars = Number(values.chars);
  const keyMs = 1000 / Number(values['chars-per-s']);
  const typeAlong = Number(values['type-along']);
  const logs: string[] = [];
  const client = new ModelClient({ modulePath: join(import.meta.dirname, '..', 'dist', 'model-process.js'), log: (message) => logs.push(message) });
  try {
    const loaded = await client.load({ source: { kind: 'folder', path: benchModelDir(values.model) }, device: 'cpu', storageDir: defaultCacheDir() });
    const counts: Counts = { runsStarted: 0, runsCancelled: 0, runsFailed: 0, suggestionsShown: 0, reusedWithoutRun: 0 };
    const store = new CompletionStore();
    const flow = new CompletionFlow(backendOf(client, loaded.summary.nCtx, counts, logs), store);

    // Start typing at a word, with the text before it already in the document.
    const start = PROSE.indexOf(' ', PROSE.length - chars) + 1;
    const editor = new Editor(PROSE.slice(0, start - 1), flow, store, counts);
    // One explicit completion first (Alt+\), so the measured runs do not pay for the process's first run.
    await editor.type(' ', true);
    Object.assign(counts, { runsStarted: 0, runsCancelled: 0, runsFailed: 0, suggestionsShown: 0, reusedWithoutRun: 0 });

    const random = seeded(1);
    const latencies: number[] = [];
    let pauses = 0;
    let pausesWithout = 0;
    let typedAlong = 0;
    let keystrokes = 0;
    let typingMs = 0;
    const started = performance.now();
    // The ghost text comes back wrapped: an async function returning a bare promise would wait for it.
    const key = async (char: string): Promise<{ shown: Promise<string | undefined> }> => {
      const hesitate = char !== ' ' && editor.text.endsWith(' ') && random() < HESITATION_CHANCE;
      const wait = hesitate ? HESITATION_MS : keyMs;
      await sleep(wait);
      typingMs += wait;
      keystrokes++;
      return { shown: editor.type(char) };
    };
    for (const char of PROSE.slice(start)) {
      const { shown } = await key(char);
      if (!PAUSE_AFTER.includes(char)) continue;
      // A pause: wait for the ghost text of this keystroke, timed from the keystroke.
      const pausedAt = performance.now();
      pauses++;
      const suggestion = await shown;
      if (suggestion === undefined) {
        pausesWithout++;
        continue;
      }
      latencies.push(performance.now() - pausedAt);
      for (const c of suggestion.slice(0, typeAlong)) {
        await key(c);
        typedAlong++;
      }
    }
    const wallSeconds = (performance.now() - started) / 1000;

    console.log(
      JSON.stringify(
        {
          typing: {
            model: { ...loaded.summary, randomWeights: loaded.randomWeights },
            backend: loaded.backend,
            settings: COMPLETION_DEFAULTS,
            document_chars: PROSE.length,
            typed_chars: PROSE.length - start,
            typed_along_chars: typedAlong,
            keystrokes,
            typing_chars_per_s: round((keystrokes * 1000) / typingMs),
            wall_s: round(wallSeconds),
            runs_started: counts.runsStarted,
            runs_cancelled: counts.runsCancelled,
            runs_failed: counts.runsFailed,
            suggestions_shown: counts.suggestionsShown,
            suggestions_reused_without_run: counts.reusedWithoutRun,
            pauses,
            pauses_without_suggestion: pausesWithout,
            pause_to_ghost_text_ms: {
              p50: Math.round(percentile(latencies, 50)),
              p90: Math.round(percentile(latencies, 90)),
              max: Math.round(Math.max(...latencies)),
              n: latencies.length,
            },
            ...(logs.length ? { log: logs.slice(-5) } : {}),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    client.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
