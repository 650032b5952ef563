// openBackend picks the backend for a remote URL. Backends are imported lazily: a project
// on plain folders never loads the AWS SDK, which keeps a no-op recipe fast to start.
import type { Config } from '../config/load.js';
import type { Backend } from './types.js';
import type { RemoteUrl } from './url.js';

const open = new Map<string, Promise<Backend>>();

export function openBackend(remote: RemoteUrl, config: Config): Promise<Backend> {
  const key = remote.scheme === 's3' ? `s3://${remote.bucket}` : remote.url;
  let backend = open.get(key);
  if (!backend) {
    backend = create(remote, config);
    open.set(key, backend);
  }
  return backend;
}

async function create(remote: RemoteUrl, config: Config): Promise<Backend> {
  const { ObjectBackend } = await import('./object-backend.js');
  switch (remote.scheme) {
    case 'file': {
      const { FileStore } = await import('./file.js');
      return new ObjectBackend(new FileStore(remote.root));
    }
    case 's3': {
      const { S3Store } = await import('./s3.js');
      return new ObjectBackend(new S3Store(remote.bucket, config.env, config.transfers, config.httpTimeoutMs));
    }
    case 'hf': {
      const { HubBackend } = await import('./hub.js');
      return new HubBackend(remote, config);
    }
  }
}
