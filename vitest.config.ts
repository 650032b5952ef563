import { defineConfig } from 'vitest/config';

// Five projects, each with its own timeouts (lint-staged's split):
// unit — pure functions, no I/O beyond temp folders;
// integration — real servers (Ceph RGW, the Hub emulator) started once by a globalSetup;
// live — opt-in, against the real Hub;
// e2e — real `just` recipes in temp git repos, against the same servers;
// reliability — the fault matrix (docs/reliability.md).
export default defineConfig({
  test: {
    env: { NO_COLOR: '1', FORCE_COLOR: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/hub-emulator/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Opt-in, against the real Hub: skipped unless HF_TOKEN and STRATA_LIVE_HUB_REPO are set.
        test: {
          name: 'live',
          include: ['test/live/**/*.test.ts'],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // e2e tests spawn many processes; run files one after another on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          // Fault matrix (docs/reliability.md): kill -9, server faults through a proxy,
          // concurrency, hostile remote content, local hazards, bad config and secrets.
          // STRATA_SOAK=1 runs the long loops.
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: process.env.STRATA_SOAK === '1' ? 3_600_000 : 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // The pictures of docs/user-guide.md (`just screenshots`), never part of a test run:
      // the project exists only when STRATA_SCREENSHOTS=1 asks for it.
      ...(process.env.STRATA_SCREENSHOTS === '1'
        ? [{ test: { name: 'screenshots', include: ['test/docs/**/*.test.ts'], globalSetup: ['test/support/global-setup.ts'], testTimeout: 300_000, hookTimeout: 180_000 } }]
        : []),
    ],
  },
});
