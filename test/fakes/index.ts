/** Fake upstreams for tests: one import for the server, the jitter and every provider's scripts. */
export * from './anthropic.js';
export * from './gemini.js';
export * from './jitter.js';
export * from './ollama.js';
export * from './openai-chat.js';
export * from './openai-responses.js';
export * from './script.js';
export * from './server.js';
