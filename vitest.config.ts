import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/generated/**', 'node_modules/**'],
    // Real servers and spawned CLIs: give slow CI machines room without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // CLI tests run the built bin: build it first when src/ changed since (see the file).
    globalSetup: ['test/global-setup.ts'],
  },
});
