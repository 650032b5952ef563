// A plain folder as a remote (file:///srv/share/project): a lab NFS share, and the embedded
// default for the demo and tests. Same layout as S3. Writes go to a temp file and are
// renamed, so a reader never sees half a file; create-only writes use O_EXCL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { byKey, compareKeys, type Entry } from '../listing/entry.js';
import type { Refusal } from '../listing/keys.js';
import { walkInKeyOrder } from '../listing/walk.js';
import { createDigester, hashFile, hashFileSync } from '../listing/digest.js';
import { onLocalDisk } from '../apply/local-disk.js';
import type { Digests } from '../state/record.js';
import { setMtime } from '../listing/mtime.js';
import { assertUnchanged, stampOf } from '../listing/unchanged.js';
import { inFlight } from '../apply/in-flight.js';
import { readChunk, SMALL_FILE, type CopyOptions, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';
import type { RemoteRead } from './types.js';

export class FileStore implements ObjectStore {
  readonly kind = 'file' as const;
  constructor(readonly root: string) {}

  private abs(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async list(prefix: string): Promise<StoredObject[]> {
    return this.walk(prefix, () => true);
  }

  listInOrder(prefix: string, scope: string, refused: Refusal[]): Iterable<Entry> {
    return walkInKeyOrder(this.abs(scope ? `${prefix}/${scope}` : prefix), scope, {
      entry: (key, st) => ({ key, size: st.size, tag: changeTag(st), digests: {} }),
      onSkip: (key, reason, code) => {
        // A space not written yet is empty; a folder that cannot be read must not look empty.
        if (reason.startsWith('cannot read folder') && code !== 'ENOENT') throw new Error(`${this.root}: ${key} ${reason}`);
      },
      refused,
      keepRefused: false,
    });
  }

  /**
   * folders: the directories in `prefix/`, from one directory read. Strata's temp names are
   * files (`*.strata-tmp`, beside their target), so none is a folder here.
   */
  async folders(prefix: string): Promise<string[]> {
    let dirents: fs.Dirent[];
    try {
      dirents = await fs.promises.readdir(this.abs(prefix), { withFileTypes: true });
    } catch (e) {
      // No folder yet (or a file in its place): no sub-folders, as on S3.
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
      throw e;
    }
    return dirents.filter((d) => d.isDirectory()).map((d) => d.name).sort(compareKeys);
  }

  /** Every name is read (one directory read), but only the files after `after` are stat-ed. */
  async listAfter(prefix: string, after: string): Promise<StoredObject[]> {
    return this.walk(prefix, (key) => compareKeys(key, after) > 0);
  }

  /** The files under `prefix` whose relative key `wanted` accepts, each stat-ed for its size and change tag. */
  private walk(prefix: string, wanted: (key: string) => boolean): StoredObject[] {
    // Synchronous calls, like the local listing: awaiting one stat at a time through the
    // thread pool cost ~90 µs a file (9 s for 100,000) and heaps of short-lived promises. The
    // working-copy lock is refreshed from a thread of its own (lock/), so this cannot starve it.
    const out: StoredObject[] = [];
    const walk = (dir: string, rel: string) => {
      let dirents: fs.Dirent[];
      try {
        dirents = fs.readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const d of dirents) {
        const key = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) walk(path.join(dir, d.name), key);
        else if (d.isFile() && !d.name.endsWith('.strata-tmp') && wanted(key)) {
          // A file removed while we list (a concurrent push's rename) is simply not there.
          const st = fs.statSync(path.join(dir, d.name), { throwIfNoEntry: false });
          if (st) out.push({ key, size: st.size, tag: changeTag(st), digests: {} });
        }
      }
    };
    walk(this.abs(prefix), '');
    return out.sort(byKey);
  }

  async read(key: string): Promise<RemoteRead> {
    // The stored file keeps the pushed file's time (put and copy set it).
    const file = this.abs(key);
    const { mtimeMs } = await fs.promises.stat(file);
    return { body: fs.createReadStream(file), mtimeMs };
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.abs(key), 'r');
    } catch (e) {
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return null;
      throw e;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) return null;
      const buf = Buffer.alloc(Math.max(0, Math.min(end, st.size) - start));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await handle.read(buf, got, buf.length - got, start + got);
        if (!bytesRead) break; // the file was cut shorter while read
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } finally {
      await handle.close();
    }
  }

  async put(key: string, file: string, opts: PutOptions): Promise<{ digests: Digests; tag: string }> {
    const dest = this.abs(key);
    const digester = createDigester(['md5'], opts.size);
    const before = stampOf(file);
    await writeBeside(dest, async (tmp) => {
      await pipeline(
        fs.createReadStream(file, { highWaterMark: readChunk(opts.size) }),
        new Transform({
          transform(chunk, _enc, cb) {
            digester.update(chunk);
            opts.onBytes?.(chunk.length);
            cb(null, chunk);
          },
        }),
        fs.createWriteStream(tmp),
      );
      assertUnchanged(file, before, 'while being copied');
      // The stored file keeps the pushed file's time (listing/mtime.ts).
      await setMtime(tmp, opts.mtimeMs);
    });
    const st = await fs.promises.stat(dest);
    if (st.size !== opts.size) throw new Error(`${file} changed size while being copied (${opts.size} → ${st.size} bytes)`);
    return { digests: digester.digests(), tag: changeTag(st) };
  }

  async copy(from: string, to: string, opts: CopyOptions): Promise<{ tag: string }> {
    const dest = this.abs(to);
    await writeBeside(dest, async (tmp) => {
      await fs.promises.copyFile(this.abs(from), tmp);
      // A copy is the same file: it keeps the source's time.
      await setMtime(tmp, opts.mtimeMs ?? (await fs.promises.stat(this.abs(from))).mtimeMs);
    });
    return { tag: changeTag(await fs.promises.stat(dest)) };
  }

  async delete(keys: string[]) {
    const failed: { key: string; error: string }[] = [];
    for (const key of keys) {
      try {
        await fs.promises.rm(this.abs(key), { force: true });
        await this.pruneEmptyParents(path.dirname(this.abs(key)));
      } catch (e) {
        failed.push({ key, error: (e as Error).message });
      }
    }
    return failed;
  }

  // Folders left empty by deletes are removed, as they would not exist on S3 either.
  private async pruneEmptyParents(dir: string) {
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await fs.promises.rmdir(dir);
      } catch {
        return;
      }
      dir = path.dirname(dir);
    }
  }

  async cleanup(prefix: string): Promise<number> {
    let removed = 0;
    const walk = async (dir: string) => {
      const dirents = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
      for (const d of dirents) {
        const p = path.join(dir, d.name);
        if (d.isDirectory()) await walk(p);
        else if (d.name.endsWith('.strata-tmp') && !inFlight.has(p)) {
          await fs.promises.rm(p, { force: true });
          removed++;
        }
      }
    };
    await walk(this.abs(prefix));
    return removed;
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    const dest = this.abs(key);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    try {
      // NOTE: O_EXCL is atomic on local disks and on NFSv3+; it is the folder's compare-and-swap.
      await fs.promises.writeFile(dest, body, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      return await fs.promises.readFile(this.abs(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async putText(key: string, body: string): Promise<void> {
    await writeBeside(this.abs(key), (tmp) => fs.promises.writeFile(tmp, body));
  }


  async exists(key: string): Promise<boolean> {
    try {
      return (await fs.promises.stat(this.abs(key))).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Whether the store's folder is on this machine's own disk (asked once): small files are then hashed synchronously. */
  private localDisk?: boolean;

  async digests(key: string): Promise<Digests> {
    const file = this.abs(key);
    this.localDisk ??= onLocalDisk(this.root);
    // A browse comparison hashes every same-size pair of two spaces: on a local disk, a small
    // file's synchronous read took a 10,000-file comparison from 2.1 s to 0.65 s.
    if (this.localDisk && fs.statSync(file).size <= SMALL_FILE) return hashFileSync(file, ['md5']);
    return hashFile(file, ['md5']);
  }
}

/**
 * changeTag: what tells a stored file's versions apart without reading it. The modification
 * time is the pushed file's (kept on purpose), so two versions can share one; the change time
 * cannot be set, and moves with every write and rename.
 */
function changeTag(st: fs.Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/**
 * writeBeside: `fill` writes a temp file beside `dest`, which is then renamed over it — a
 * reader never sees half a file, and a failure leaves no temp file (one killed mid-way is
 * known by its name, `.strata-tmp`, and swept later).
 */
async function writeBeside(dest: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${crypto.randomBytes(4).toString('hex')}.strata-tmp`;
  inFlight.add(tmp);
  try {
    await fill(tmp);
    await fs.promises.rename(tmp, dest);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
}
