import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onLocalDisk } from '../../scripts/lib/apply/local-disk.js';

describe.runIf(process.platform === 'linux')('onLocalDisk', () => {
  it('knows a local folder, also one that does not exist yet (its nearest ancestor decides)', () => {
    expect(onLocalDisk(os.tmpdir())).toBe(true);
    expect(onLocalDisk(path.join(os.tmpdir(), 'not-there-yet', 'data', 'processed'))).toBe(true);
  });

  it('says no for a filesystem it does not know to be local (procfs here; NFS and SMB alike)', () => {
    expect(onLocalDisk('/proc/self')).toBe(false);
    expect(onLocalDisk('/sys/kernel')).toBe(false);
  });
});
