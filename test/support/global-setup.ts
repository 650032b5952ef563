// vitest globalSetup for the integration and e2e projects: starts the real servers once per
// test run and hands their addresses to tests through provide/inject. Tests isolate
// themselves by bucket or prefix, never by server.

import type { TestProject } from 'vitest/node';
import { createS3User, startCeph, type CephServer, type S3Access } from './ceph.js';
import { startHubEmulator } from '../hub-emulator/index.js';

export interface S3User {
  uid: string;
  accessKeyId: string;
  secretAccessKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The S3 server for this run (a throwaway Ceph RGW, or STRATA_TEST_S3_ENDPOINT). */
    s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
    /** Two more S3 users on the test Ceph RGW (not the bucket owner), for the roles tests; absent on an external S3. */
    s3Users?: { analyst: S3User; maintainer: S3User };
    /** The Hub emulator for this run: pass as HF_ENDPOINT / HF_TOKEN. */
    hub: { url: string; token: string; readToken: string };
  }
}

// Each vitest project imports its globalSetup in its own module graph, so module state is
// not shared between integration and e2e. One process-wide slot (with a reference count)
// keeps `vitest run` of both projects to a single cluster.
interface Shared {
  ceph?: Promise<CephServer>;
  users3?: Promise<{ analyst: S3User; maintainer: S3User }>;
  users: number;
}
const SLOT = Symbol.for('strata.test.ceph');
const shared: Shared = ((globalThis as Record<symbol, unknown>)[SLOT] as Shared | undefined) ?? { users: 0 };
(globalThis as Record<symbol, unknown>)[SLOT] = shared;

/** An S3 server from the environment, for running the suite against some other S3 service. */
function s3FromEnv(): S3Access | undefined {
  const endpoint = process.env.STRATA_TEST_S3_ENDPOINT;
  if (!endpoint) return undefined;
  const accessKeyId = process.env.STRATA_TEST_S3_KEY;
  const secretAccessKey = process.env.STRATA_TEST_S3_SECRET;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('STRATA_TEST_S3_ENDPOINT is set, so STRATA_TEST_S3_KEY and STRATA_TEST_S3_SECRET must be too');
  }
  return { endpoint, region: process.env.STRATA_TEST_S3_REGION || 'us-east-1', accessKeyId, secretAccessKey };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: (() => Promise<void>)[] = [];

  const external = s3FromEnv();
  if (external) {
    project.provide('s3', external);
  } else {
    shared.users++;
    try {
      if (!shared.ceph) {
        const started = Date.now();
        const starting = startCeph({ log: process.env.STRATA_TEST_VERBOSE ? (line) => console.log(line) : undefined });
        shared.ceph = starting;
        // A failed start must not stay cached for the next project to await again.
        starting.catch(() => {
          if (shared.ceph === starting) shared.ceph = undefined;
        });
        const ceph = await starting;
        console.log(`[global-setup] Ceph RGW at ${ceph.endpoint} (started in ${Date.now() - started} ms)`);
      }
      const ceph = await shared.ceph;
      const { endpoint, region, accessKeyId, secretAccessKey } = ceph;
      project.provide('s3', { endpoint, region, accessKeyId, secretAccessKey });
      shared.users3 ??= (async () => ({ analyst: await createS3User(ceph, 'lab-analyst'), maintainer: await createS3User(ceph, 'lab-maintainer') }))();
      project.provide('s3Users', await shared.users3);
    } catch (err) {
      shared.users--;
      throw err;
    }
    teardowns.push(async () => {
      // The last project to finish stops the shared cluster.
      if (--shared.users > 0 || !shared.ceph) return;
      const ceph = shared.ceph;
      shared.ceph = undefined;
      shared.users3 = undefined;
      await (await ceph).stop();
    });
  }

  // The Hub emulator: no Hub runs offline, so tests talk to a local one through the real
  // @huggingface/hub client. One per project run; cheap to start (no external process).
  try {
    const hub = await startHubEmulator({});
    teardowns.push(() => hub.stop());
    project.provide('hub', { url: hub.url, token: hub.token, readToken: hub.readToken });
  } catch (err) {
    for (const t of teardowns.reverse()) await t().catch(() => undefined);
    throw err;
  }

  return async () => {
    // Reverse start order; every teardown runs even if one fails.
    const errors: unknown[] = [];
    for (const t of teardowns.reverse()) await t().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  };
}
