// Talking to the Hub over HTTP: one session per ensureHubModel call, attempts that can stall out or be
// cancelled, a retry loop with back-off, redirects followed only while they stay on the Hub, and the mapping
// from HTTP statuses to HubDownloadError codes.
import { isIP } from 'node:net';
import { HubDownloadError, LOCAL_MODEL_HINT, describeCause } from './hub-download-error';

/** What a Hub request asks of `fetch`. */
export interface HubRequestInit {
  readonly headers: Record<string, string>;
  /** We follow redirects ourselves (Attempt.fetch), to see where each one leads before going there. */
  readonly redirect: 'manual';
  readonly signal: AbortSignal;
}

/** What the download reads of an answer: its status, headers, and body as a stream of bytes. */
export interface HubResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * The subset of `fetch` we use: Node's own, undici's through a proxy (hub-proxy.ts), or a test's. Narrow so
 * that each of those fits it as it is.
 */
export type FetchLike = (url: string, init: HubRequestInit) => Promise<HubResponse>;

export interface RetryPolicy {
  /** Tries per request before giving up, counting the first. A try that received new bytes resets the count. */
  readonly attempts: number;
  /** First back-off; each further failure doubles it, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A request that receives nothing for this long is treated as a dropped connection. */
  readonly stallMs: number;
}

/** The Hub redirects a download once or twice (resolve to a CDN, perhaps a renamed repository); more is a loop. */
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Where the Hub sends downloads: its LFS CDNs and the Xet storage bridge, for every endpoint that mirrors it. */
const HUB_CDN_HOSTS = new Set(['cdn-lfs.huggingface.co', 'cdn-lfs-us-1.huggingface.co', 'cas-bridge.xethub.hf.co']);
/** The Hub's own domains, whose subdomains its CDNs move between. */
const HUB_DOMAINS = ['huggingface.co', 'hf.co'];

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  stallMs: 30_000,
};

/** Everything a request needs to know, fixed for one ensureHubModel call. */
export interface HubSession {
  /** Origin and path prefix of the Hub, without a trailing slash. */
  readonly endpoint: string;
  readonly repo: string;
  readonly revision: string;
  readonly token: string | undefined;
  readonly fetchImpl: FetchLike;
  readonly retry: RetryPolicy;
  readonly signal: AbortSignal | undefined;
}

/** The host name users know the Hub by, for messages. */
export function hubHost(session: HubSession): string {
  return new URL(session.endpoint).host;
}

/**
 * Whether a redirect or a next-page link to `target` stays with the Hub at `endpoint`: its own origin, the
 * Hub's CDNs, and (over https) subdomains of the endpoint's domain, or of the Hub's when the endpoint is the
 * Hub. Mirrors do the same: hf-mirror.com sends weights to cas-bridge.xethub.hf-mirror.com. Anything else
 * could serve other bytes or collect what we send; listed hashes catch the first only when there are some.
 */
export function isHubUrl(endpoint: string, target: string): boolean {
  const home = new URL(endpoint);
  const url = new URL(target);
  if (url.origin === home.origin) return true;
  if (url.protocol !== 'https:' || url.port !== '') return false;
  if (HUB_CDN_HOSTS.has(url.hostname)) return true;
  const domains = HUB_DOMAINS.includes(home.hostname) ? HUB_DOMAINS : isIP(home.hostname) ? [] : [home.hostname];
  return domains.some((domain) => url.hostname.endsWith(`.${domain}`) || url.hostname === domain);
}

/** A redirect or Link that leads away from the Hub; `how` says what led where, as in "redirected x to y". */
export function offHubError(session: HubSession, how: string): HubDownloadError {
  const host = hubHost(session);
  return new HubDownloadError(
    'http',
    `${host} ${how}, which is neither ${host} nor one of the Hub's download servers, so Glassbox did not ` +
      `follow it. If a proxy or captive portal sits between you and ${host}, sign in to it and try again.`,
  );
}

export function hubHeaders(session: HubSession, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'user-agent': 'glassbox',
    // Sizes and Range offsets are in bytes of the file itself; a compressed transfer would make both wrong.
    'accept-encoding': 'identity',
    ...(session.token ? { authorization: `Bearer ${session.token}` } : {}),
    ...extra,
  };
}

export function cancelledError(session: HubSession): HubDownloadError {
  return new HubDownloadError('cancelled', `Download of ${session.repo} was cancelled.`);
}

export function throwIfCancelled(session: HubSession): void {
  if (session.signal?.aborted) throw cancelledError(session);
}

/**
 * A failure worth another try (dropped connection, 5xx, stall). `giveUp` is what the caller sees once the
 * retries run out, so each failure site words its own final message.
 */
export class TransientFailure extends Error {
  constructor(
    readonly giveUp: HubDownloadError,
    readonly retryAfterMs?: number,
  ) {
    super(giveUp.message);
  }
}

/**
 * Runs `run` until it succeeds, retrying TransientFailures with exponential back-off. `madeProgress` is asked
 * after each failure: a try that got further than any before it resets the count, so a 6 GB download over a
 * flaky connection finishes as long as it keeps moving.
 */
export async function retrying<T>(
  session: HubSession,
  run: () => Promise<T>,
  madeProgress: () => boolean = () => false,
): Promise<T> {
  let failures = 0;
  for (;;) {
    throwIfCancelled(session);
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof TransientFailure)) throw error;
      failures = madeProgress() ? 1 : failures + 1;
      if (failures >= session.retry.attempts) throw error.giveUp;
      await sleep(backoffMs(session.retry, failures, error.retryAfterMs), session);
    }
  }
}

function backoffMs(policy: RetryPolicy, failures: number, retryAfterMs: number | undefined): number {
  const exponential = policy.baseDelayMs * 2 ** (failures - 1);
  // Jitter keeps many clients that lost the same server from coming back in lockstep.
  const jittered = exponential * (0.5 + Math.random() / 2);
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

function sleep(ms: number, session: HubSession): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = session.signal;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError(session));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One HTTP request and the reading of its body. Its signal fires when the caller cancels or when nothing has
 * arrived for `stallMs`; `failure` turns whatever that makes fetch throw into the right kind of error.
 */
export class Attempt {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private stalled = false;

  constructor(private readonly session: HubSession) {
    // A signal that fired before we got here will not fire again.
    if (session.signal?.aborted) this.controller.abort(session.signal.reason);
    session.signal?.addEventListener('abort', this.onCancel, { once: true });
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort(new Error(`no data for ${session.retry.stallMs} ms`));
    }, session.retry.stallMs);
  }

  /**
   * GETs `url`, following redirects that stay on the Hub (isHubUrl) and refusing the rest; `what` names what
   * was asked for, for messages. Like fetch itself, leaves the Hub token behind when leaving its origin: a
   * CDN's URL is signed, and the token is for the Hub alone.
   */
  async fetch(url: string, headers: Record<string, string>, what: string): Promise<HubResponse> {
    const home = new URL(this.session.endpoint).origin;
    let target = url;
    for (let redirects = 0; ; redirects++) {
      const sent = new URL(target).origin === home ? headers : withoutAuthorization(headers);
      const response = await this.fetchOnce(target, sent);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
      await discardBody(response);
      const next = new URL(location, target).href;
      if (!isHubUrl(this.session.endpoint, next)) throw offHubError(this.session, `redirected ${what} to ${new URL(next).origin}`);
      if (redirects === MAX_REDIRECTS) {
        throw new HubDownloadError('http', `${hubHost(this.session)} redirected ${what} more than ${MAX_REDIRECTS} times. Try again later.`);
      }
      target = next;
    }
  }

  private async fetchOnce(url: string, headers: Record<string, string>): Promise<HubResponse> {
    try {
      return await this.session.fetchImpl(url, { headers, redirect: 'manual', signal: this.controller.signal });
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Reads the next body chunk; `undefined` at the end. */
  async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array | undefined> {
    try {
      const { done, value } = await reader.read();
      this.timer.refresh();
      return done ? undefined : value;
    } catch (error) {
      throw this.failure(error);
    }
  }

  /**
   * The whole body as text, or undefined as soon as it is known to be longer than `maxBytes` (by its
   * Content-Length, or by what has arrived): a server that never stops must not fill our memory.
   */
  async text(response: HubResponse, maxBytes: number): Promise<string | undefined> {
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) return undefined;
    const reader = response.body?.getReader();
    if (!reader) return '';
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (let chunk = await this.read(reader); chunk !== undefined; chunk = await this.read(reader)) {
      length += chunk.length;
      if (length > maxBytes) return undefined; // dispose() aborts the rest
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Ends the attempt; a body not read to the end is aborted so its connection is not left open. */
  dispose(): void {
    this.controller.abort();
    clearTimeout(this.timer);
    this.session.signal?.removeEventListener('abort', this.onCancel);
  }

  private failure(error: unknown): Error {
    if (this.session.signal?.aborted) return cancelledError(this.session);
    // Already said what went wrong, and retrying will not help (a proxy that refuses, hub-proxy.ts).
    if (error instanceof HubDownloadError) return error;
    const why = this.stalled ? `${hubHost(this.session)} stopped sending data` : describeCause(error);
    return new TransientFailure(offlineError(this.session, why, error));
  }

  private readonly onCancel = (): void => this.controller.abort(this.session.signal?.reason);
}

/** The connection failed, dropped or stalled, and kept doing so. */
export function offlineError(session: HubSession, why: string, cause?: unknown): HubDownloadError {
  const host = hubHost(session);
  return new HubDownloadError(
    'offline',
    `Could not reach ${host} to download ${session.repo} (${why}). Check your connection and try again ` +
      `(what was downloaded is kept and resumed). ${LOCAL_MODEL_HINT}`,
    { cause },
  );
}

/**
 * What a non-success status means; `file` is the file requested, or undefined for the file list. The Hub names
 * what is missing in X-Error-Code, and answers 401 rather than 404 for a model that does not exist when no
 * token is sent, so that private models stay invisible; huggingface_hub reads both the same way.
 */
export function statusFailure(session: HubSession, response: HubResponse, file?: string): Error {
  const status = response.status;
  const host = hubHost(session);
  const hubCode = response.headers.get('x-error-code');
  const model = `${session.repo} (revision ${session.revision})`;
  if (hubCode === 'GatedRepo' || status === 403) {
    return new HubDownloadError(
      'http',
      `${host} refused access to ${model} (HTTP ${status}). If the model is gated, accept its terms on ` +
        `${host} and provide a Hugging Face token that has access.`,
    );
  }
  if (status === 401 && session.token && hubCode === null) {
    return new HubDownloadError(
      'http',
      `${host} refused the Hugging Face token (HTTP 401). Check that it is valid, or remove it for public models.`,
    );
  }
  const missing = missingThing(session, hubCode, status, file);
  if (missing !== undefined) {
    return new HubDownloadError(
      'not-found',
      `${host} has no ${missing} (HTTP ${status}). Check the model name in glassbox.model; if the model is ` +
        `private, provide a Hugging Face token.`,
    );
  }
  const what = file ?? 'the file list';
  const giveUp = new HubDownloadError(
    'http',
    `${host} answered HTTP ${status} for ${what} of ${model}. Try again later; if it keeps happening, check ` +
      `https://status.huggingface.co or any proxy between you and ${host}.`,
  );
  if (status === 408 || status === 429 || status >= 500) {
    return new TransientFailure(giveUp, retryAfterMs(response.headers.get('retry-after')));
  }
  return giveUp;
}

function missingThing(
  session: HubSession,
  hubCode: string | null,
  status: number,
  file: string | undefined,
): string | undefined {
  const model = `${session.repo} (revision ${session.revision})`;
  if (hubCode === 'RevisionNotFound') return `revision ${session.revision} of ${session.repo}`;
  if (hubCode === 'RepoNotFound' || status === 401) return `model named ${model}`;
  if (hubCode === 'EntryNotFound' || status === 404) return file ? `${file} in ${model}` : `model named ${model}`;
  return undefined;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/** Lets the connection go back to the pool (or close) when we will not read a body. */
export async function discardBody(response: HubResponse): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
