// Pull never unlinks (SPEC §6.2): a local file that a pull replaces or removes is moved to
// data/_recycle/<stamp>/<layer>/<key>, the folder the lab's rclone recipes already used.
import fs from 'node:fs';
import path from 'node:path';

export class Recycler {
  readonly folder: string;
  count = 0;
  constructor(projectRoot: string, recycleDir: string, layer: string, stamp = recycleStamp()) {
    // Two pulls in the same second must not recycle into one folder (a file could be overwritten).
    let folder = path.join(projectRoot, recycleDir, stamp);
    for (let n = 2; fs.existsSync(path.join(folder, layer)); n++) folder = path.join(projectRoot, recycleDir, `${stamp}-${n}`);
    this.folder = path.join(folder, layer);
  }

  /** recycle moves `file` (layer key `key`) into the recycle folder; same-disk rename, so it is instant. */
  async recycle(file: string, key: string): Promise<string> {
    const dest = await this.place(key);
    try {
      await fs.promises.rename(file, dest);
    } catch (e) {
      // A data folder on another disk than the recycle folder: copy, then remove.
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await fs.promises.copyFile(file, dest);
      await fs.promises.unlink(file);
    }
    this.count++;
    return dest;
  }

  /**
   * keep puts the current version of `file` into the recycle folder and leaves it in place
   * (a hard link: instant, no space; a copy where the disk has none), for a file a download is
   * about to replace: the new version is then renamed over it in one step, so the key is never
   * missing — a run killed in between leaves the old version in place, not a hole that the
   * next pull would take for a deletion made here.
   */
  async keep(file: string, key: string): Promise<string> {
    const dest = await this.place(key);
    try {
      await fs.promises.link(file, dest);
    } catch (e) {
      // Another disk than the recycle folder, or a file system without hard links.
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      await fs.promises.copyFile(file, dest, fs.constants.COPYFILE_EXCL);
    }
    this.count++;
    return dest;
  }

  /** Where a key goes in the recycle folder (its folders made). */
  private async place(key: string): Promise<string> {
    const dest = path.join(this.folder, ...key.split('/'));
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    return dest;
  }
}

/** recycleStamp: sortable and safe as a folder name on every OS. */
function recycleStamp(date = new Date()): string {
  return date.toISOString().replace(/[:]/g, '').replace(/\..+$/, '').replace('T', '-');
}
