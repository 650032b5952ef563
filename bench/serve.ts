// node bench/out/bench/serve.js: start the benchmark's Ceph RGW (bluestore) with a bucket
// and keep it running until Ctrl-C, printing the variables a shell needs to reach it —
// for trying or profiling one recipe by hand (docs/performance.md, "Profiling").
import { createBucket, startCeph } from '../test/support/ceph.js';

const bucket = process.argv[2] ?? 'bench';
const server = await startCeph({ store: 'bluestore', log: (l) => process.stderr.write(l + '\n') });
await createBucket(server, bucket);
process.stdout.write(
  [
    `export AWS_ENDPOINT_URL_S3=${server.endpoint} AWS_ENDPOINT_URL=${server.endpoint}`,
    `export AWS_ACCESS_KEY_ID=${server.accessKeyId} AWS_SECRET_ACCESS_KEY=${server.secretAccessKey} AWS_REGION=${server.region}`,
    `# bucket: ${bucket}; RGW log: ${server.root}/log/client.rgw.log; Ctrl-C stops the server`,
    '',
  ].join('\n'),
);
await new Promise<void>((resolve) => process.once('SIGINT', resolve));
await server.stop();
