// Standalone config for the emulator's own tests: they start their own emulator and need no
// globalSetup (the integration project's one also starts Ceph). `.mts` keeps this file out of
// tsconfig.build.json's `test/hub-emulator/**/*.ts`.
//   npx vitest run --config test/hub-emulator/vitest.config.mts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/hub-emulator/**/*.test.ts'],
    env: { NO_COLOR: '1', FORCE_COLOR: '0' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
