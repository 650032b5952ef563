// A plain-folder remote (file://): the folder strata.yaml names, read and written directly.
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectRemoteBase } from './remote.js';
import { joinKey, spacePath } from './remote-layout.js';
import { tempDir } from './scratch.js';
import { fileKeys, tree } from './tree.js';

export class FolderRemote implements ObjectRemoteBase {
  readonly kind = 'file' as const;
  readonly url: string;
  readonly yaml: string;
  readonly env: Record<string, string> = {};
  private blocked: string[] = [];

  constructor(
    /** The folder the URL names (PREFIX). */
    readonly dir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.url = `file://${dir}`;
    this.yaml = `remote: ${this.url}\n`;
  }

  /** The path of a PREFIX key. */
  abs(key: string): string {
    return path.join(this.dir, ...key.split('/').filter(Boolean));
  }
  space(branch = 'main', layer = 'processed'): string {
    return spacePath(branch, layer);
  }
  async layer(branch = 'main', layer = 'processed') {
    return tree(this.abs(this.space(branch, layer)));
  }
  async get(key: string, branch = 'main', layer = 'processed') {
    return this.storeRead(joinKey(this.space(branch, layer), key));
  }
  async put(key: string, content: string | Buffer, branch = 'main', layer = 'processed') {
    const file = this.abs(`${this.space(branch, layer)}/${key}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  async files(sub = '') {
    return tree(this.abs(sub), { withTemp: true, withGitkeep: true });
  }
  async keys(sub = '') {
    return fileKeys(this.abs(sub), { withTemp: true, withGitkeep: true });
  }
  async storeKeys() {
    return this.keys();
  }
  async storeRead(key: string) {
    try {
      return fs.readFileSync(this.abs(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  rclonePath(sub = '') {
    return this.abs(sub);
  }
  async blockWrite(key: string, branch = 'main', layer = 'processed') {
    // rename(2) of a file onto an existing folder fails (EISDIR); an empty folder lists as nothing.
    const where = joinKey(this.space(branch, layer), key);
    fs.mkdirSync(this.abs(where), { recursive: true });
    this.blocked.push(where);
  }
  async unblockWrites() {
    for (const key of this.blocked) fs.rmSync(this.abs(key), { recursive: true, force: true });
    this.blocked = [];
  }
  async cleanup() {
    // The folder lies in a temp folder of the test's, removed with it.
  }
}

/** A folder remote at `dir`, or in a new temp folder (removed by removeTemps). */
export function fileRemote(dir: string = tempDir('strata-share-')): FolderRemote {
  return new FolderRemote(dir);
}
