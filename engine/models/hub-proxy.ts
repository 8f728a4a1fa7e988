// Hub downloads through a proxy. The model process is a plain Node process: VS Code's proxy support patches
// only the extension host's own networking, so the host passes on the proxy its settings or the environment
// name (extension/proxy-settings.ts), and the Hub's requests go through it in a CONNECT tunnel.

import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { ProxySettings } from '../../protocol/model-messages';
import { HubDownloadError } from './hub-download-error';
import type { FetchLike } from './hub-request';

export function fetchThroughProxy(proxy: ProxySettings): FetchLike {
  const dispatcher = new ProxyAgent({
    uri: proxy.url,
    ...(proxy.authorization ? { token: proxy.authorization } : {}),
    requestTls: { rejectUnauthorized: proxy.strictSSL },
  });
  const proxyHost = new URL(proxy.url).host;
  // undici's own fetch takes the dispatcher (Node's global fetch is an undici of another version).
  return async (url, { headers, redirect, signal }) => {
    let response;
    try {
      response = await undiciFetch(url, { headers, redirect, signal, dispatcher });
    } catch (error) {
      throw refusal(error, proxyHost, new URL(url).host) ?? error;
    }
    return {
      ok: response.ok,
      status: response.status,
      headers: response.headers,
      // The same WHATWG byte stream as Node's fetch gives; only its declared type comes from undici's copy
      // of the stream types instead of the DOM's.
      body: response.body as ReadableStream<Uint8Array> | null,
    };
  };
}

/**
 * The proxy's own answer when it would not open the tunnel, as an error that is not retried: asking again
 * will not change its mind. undici reports it three causes deep, as "Proxy response (407) !== 200 …".
 */
function refusal(error: unknown, proxyHost: string, target: string): HubDownloadError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const status = /^Proxy response \((\d+)\)/.exec(e.message)?.[1];
    if (status === undefined) continue;
    const credentials = status === '407' ? ': it asks for credentials. Put them in the http.proxy setting (http://user:password@host:port) or set http.proxyAuthorization' : '';
    return new HubDownloadError('http', `The proxy ${proxyHost} refused to connect to ${target} (HTTP ${status})${credentials}.`, { cause: error });
  }
  return undefined;
}
