// Starts the Hub emulator for demos and manual runs. stdout carries only the two
// `KEY=value` lines (so `eval "$(…)"`-style use works); the request log goes to stderr.
import { parseArgs } from 'node:util';
import { startHubEmulator } from './index.js';

const USAGE = `Usage: hub-emulator [--port N] [--root DIR] [--token hf_…] [--multipart-threshold BYTES]
                    [--lenient-revisions] [--quiet]

Without --root, state lives in a temp folder that is removed on exit.`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p' },
    root: { type: 'string' },
    token: { type: 'string' },
    'multipart-threshold': { type: 'string' },
    'lenient-revisions': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const emulator = await startHubEmulator({
  port: values.port ? Number(values.port) : 0,
  root: values.root,
  token: values.token,
  lfsMultipartThreshold: values['multipart-threshold'] ? Number(values['multipart-threshold']) : undefined,
  lenientRevisions: values['lenient-revisions'],
  log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
});

process.stdout.write(`HF_ENDPOINT=${emulator.url}\nHF_TOKEN=${emulator.token}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
