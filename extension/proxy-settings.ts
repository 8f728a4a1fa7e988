// The proxy Hub downloads go through, picked as VS Code picks one for its own requests: the `http.proxy`
// setting, else the environment's HTTPS_PROXY or HTTP_PROXY; none when `http.proxySupport` is off or the
// Hub's host is excluded by `http.noProxy` or NO_PROXY. The model process needs it spelled out: VS Code's
// proxy support reaches only the extension host's own networking (engine/models/hub-proxy.ts).

import { GlassboxError } from '../protocol/errors';
import type { ProxySettings } from '../protocol/model-messages';

export interface ProxySources {
  /** `http.proxy` */
  readonly proxy: string | undefined;
  /** `http.proxyStrictSSL` */
  readonly strictSSL: boolean;
  /** `http.proxyAuthorization` */
  readonly authorization: string | undefined;
  /** `http.proxySupport`: 'off', 'on', 'fallback' or 'override' */
  readonly support: string;
  /** `http.noProxy` */
  readonly noProxy: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

const LOOPBACK = new Set(['localhost', '[::1]']);

export function hubProxy(hubUrl: string, sources: ProxySources): ProxySettings | undefined {
  if (sources.support === 'off') return undefined;
  const env = (name: string) => sources.env[name] || sources.env[name.toLowerCase()] || undefined;
  const url = sources.proxy?.trim() || env('HTTPS_PROXY') || env('HTTP_PROXY');
  if (!url) return undefined;
  // A glassbox.hubEndpoint that is not a URL is the model process's to report, with the setting's name.
  if (!URL.canParse(hubUrl)) return undefined;
  const hub = new URL(hubUrl);
  // A proxy cannot reach this machine's loopback: a mirror on it is always reached directly.
  if (LOOPBACK.has(hub.hostname) || hub.hostname.startsWith('127.')) return undefined;
  const excluded = [...sources.noProxy, ...(env('NO_PROXY') ?? '').split(',')].some((entry) => excludes(entry.trim(), hub));
  if (excluded) return undefined;
  // Proxy variables often leave the scheme out ("proxy.corp:3128").
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  if (!URL.canParse(withScheme)) {
    throw new GlassboxError('download', `The proxy "${url}" (http.proxy, or HTTPS_PROXY / HTTP_PROXY) is not a URL such as http://proxy.example.com:3128.`);
  }
  return {
    url: withScheme,
    strictSSL: sources.strictSSL,
    ...(sources.authorization ? { authorization: sources.authorization } : {}),
  };
}

/** Whether a NO_PROXY entry ("*", "corp.com", ".corp.com", "*.corp.com", "host:port") covers the URL's host. */
function excludes(entry: string, url: URL): boolean {
  if (entry === '') return false;
  if (entry === '*') return true;
  const [host, port] = entry.toLowerCase().split(':');
  if (port && port !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) return false;
  const domain = host.replace(/^\*?\./, '');
  return url.hostname === domain || url.hostname.endsWith(`.${domain}`);
}
