import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProviderRouter, providerForHost, providerForRequest, resolveRoutes } from '../../src/record/provider-routes.js';

describe('providerForRequest: which provider a direct call is for', () => {
  it.each([
    ['/v1/chat/completions', {}, 'openai'],
    ['/v1/responses', {}, 'openai'],
    ['/v1/completions', {}, 'openai'],
    ['/v1/embeddings', {}, 'openai'],
    ['/v1/files', {}, 'openai'],
    ['/v1/models', {}, 'openai'],
    ['/v1/messages', {}, 'anthropic'],
    ['/v1/messages?beta=true', {}, 'anthropic'],
    ['/v1/models', { 'anthropic-version': '2023-06-01' }, 'anthropic'],
    ['/v1/complete', { 'anthropic-version': '2023-06-01' }, 'anthropic'],
    ['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {}, 'gemini'],
    ['/v1/models/gemini-2.5-flash:generateContent', {}, 'gemini'],
    ['/v1beta/models', {}, 'gemini'],
    ['/v1/models', { 'x-goog-api-key': 'k' }, 'gemini'],
    ['/v1beta/models?key=abc', {}, 'gemini'],
    ['/upload/v1beta/files', {}, 'gemini'],
    ['/api/chat', {}, 'ollama'],
    ['/api/generate', {}, 'ollama'],
    ['/api/blobs/sha256:abc', {}, 'ollama'],
  ] as const)('%s %j -> %s', (path, headers, provider) => {
    expect(providerForRequest(path, headers)).toBe(provider);
  });

  it('leaves paths no provider owns undefined', () => {
    for (const p of ['/', '/health', '/v2/chat', '/openai/deployments']) expect(providerForRequest(p, {})).toBeUndefined();
  });
});

describe('createProviderRouter', () => {
  const overrides = { openai: 'http://127.0.0.1:1001', anthropic: 'http://127.0.0.1:1002/base', ollama: 'http://gpu-box:11434' };

  it('sends a direct call to its provider, overridden or real', () => {
    const { route } = createProviderRouter({ overrides });
    const at = (url: string, headers = {}) => route({ method: 'POST', url, headers })?.toString();
    expect(at('/v1/chat/completions')).toBe('http://127.0.0.1:1001/');
    expect(at('/v1/messages')).toBe('http://127.0.0.1:1002/base');
    expect(at('/v1beta/models/g:streamGenerateContent?alt=sse')).toBe('https://generativelanguage.googleapis.com/');
    expect(at('/api/chat')).toBe('http://gpu-box:11434/');
    expect(at('/nope')).toBeUndefined();
  });

  it('sends a proxied call where the app addressed it, unless that host has an override', () => {
    const { route } = createProviderRouter({ overrides });
    const via = (dest: string) => route({ method: 'POST', url: new URL(dest).pathname, headers: {}, destination: new URL(dest) })?.toString();
    expect(via('https://api.openai.com/v1/chat/completions')).toBe('http://127.0.0.1:1001/');
    expect(via('https://api.anthropic.com/v1/messages')).toBe('http://127.0.0.1:1002/base');
    expect(via('http://127.0.0.1:11434/api/chat')).toBe('http://gpu-box:11434/');
    expect(via('https://generativelanguage.googleapis.com/v1beta/models')).toBe('https://generativelanguage.googleapis.com/');
    expect(via('https://example.test:8443/anything')).toBe('https://example.test:8443/');
  });

  it('--upstream sends every call to one place, whatever the path, headers or destination', () => {
    const { route } = createProviderRouter({ upstream: 'http://one.test:9', overrides });
    fc.assert(
      fc.property(fc.webPath(), fc.option(fc.webUrl(), { nil: undefined }), fc.dictionary(fc.constantFrom('anthropic-version', 'x-goog-api-key', 'x-other'), fc.string()), (path, dest, headers) => {
        expect(route({ method: 'POST', url: path, headers, destination: dest ? new URL(dest) : undefined })?.toString()).toBe('http://one.test:9/');
      }),
      { numRuns: 50 },
    );
  });

  it('knows the real provider hosts by origin, with loopback spellings of Ollama', () => {
    expect(providerForHost(new URL('https://api.openai.com/v1/x'))).toBe('openai');
    expect(providerForHost(new URL('http://api.openai.com/v1/x'))).toBeUndefined();
    expect(providerForHost(new URL('http://localhost:11434/api/tags'))).toBe('ollama');
    expect(providerForHost(new URL('http://[::1]:11434/api/tags'))).toBe('ollama');
    expect(resolveRoutes({ gemini: 'http://g.test' }).gemini.toString()).toBe('http://g.test/');
  });
});
