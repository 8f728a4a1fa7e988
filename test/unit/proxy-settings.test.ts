// Which proxy Hub downloads go through, from VS Code's http.* settings and the environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hubProxy, type ProxySources } from '../../extension/proxy-settings';

const HUB = 'https://huggingface.co';
const none: ProxySources = { proxy: undefined, strictSSL: true, authorization: undefined, support: 'override', noProxy: [], env: {} };

test('no proxy anywhere: downloads go direct', () => {
  assert.equal(hubProxy(HUB, none), undefined);
});

test('http.proxy wins over the environment, and carries strictSSL and the authorization header', () => {
  const sources = { ...none, proxy: 'http://corp:3128', strictSSL: false, authorization: 'Basic abc', env: { HTTPS_PROXY: 'http://other:8080' } };
  assert.deepEqual(hubProxy(HUB, sources), { url: 'http://corp:3128', strictSSL: false, authorization: 'Basic abc' });
});

test('without the setting, HTTPS_PROXY then HTTP_PROXY, in either case, a missing scheme read as http', () => {
  assert.equal(hubProxy(HUB, { ...none, env: { https_proxy: 'corp:3128', HTTP_PROXY: 'http://other:8080' } })?.url, 'http://corp:3128');
  assert.equal(hubProxy(HUB, { ...none, env: { HTTP_PROXY: 'http://other:8080' } })?.url, 'http://other:8080');
});

test('http.proxySupport off turns it off', () => {
  assert.equal(hubProxy(HUB, { ...none, proxy: 'http://corp:3128', support: 'off' }), undefined);
});

test('http.noProxy and NO_PROXY exclude the Hub by host, domain, wildcard or port', () => {
  const proxied = { ...none, proxy: 'http://corp:3128' };
  for (const entry of ['huggingface.co', '.huggingface.co', '*.huggingface.co', 'HuggingFace.co:443', '*']) {
    assert.equal(hubProxy(HUB, { ...proxied, noProxy: [entry] }), undefined, entry);
    assert.equal(hubProxy(HUB, { ...proxied, env: { NO_PROXY: `localhost, ${entry}` } }), undefined, `NO_PROXY ${entry}`);
  }
  for (const entry of ['face.co', 'huggingface.co:80', 'hf.co', '']) {
    assert.equal(hubProxy(HUB, { ...proxied, noProxy: [entry] })?.url, 'http://corp:3128', entry);
  }
  // A mirror on this machine is never reached through a proxy.
  for (const mirror of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) assert.equal(hubProxy(mirror, proxied), undefined, mirror);
  // A mirror named in glassbox.hubEndpoint is matched by its own host.
  assert.equal(hubProxy('http://mirror.corp:8080', { ...proxied, noProxy: ['.corp'] }), undefined);
});

test('a proxy that is not a URL is said to be the problem; a Hub endpoint that is not one is left to the model process', () => {
  assert.throws(() => hubProxy(HUB, { ...none, proxy: 'http://' }), /^GlassboxError: The proxy "http:\/\/" \(http\.proxy, or HTTPS_PROXY \/ HTTP_PROXY\) is not a URL/);
  assert.equal(hubProxy('not a url', { ...none, proxy: 'http://corp:3128' }), undefined);
});
