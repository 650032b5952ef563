// A Hub remote: processed/ on a dataset repo (the Hub emulator, or the real Hub for the live
// test), the other layers on a plain folder, as a lab sets it up. Read and written with the
// real @huggingface/hub client, never through Strata or a proxy.
import { randomBytes } from 'node:crypto';
import { commit, createRepo, downloadFile, listFiles, type RepoDesignation } from '@huggingface/hub';
import type { RemoteBase } from './remote.js';
import { fileRemote, type FolderRemote } from './remote-folder.js';
import { sha256 } from './tree.js';

/** What a test needs to reach a Hub (what globalSetup provides as `hub`). */
export interface HubServer {
  url: string;
  token: string;
}

/** The layers Strata puts on the Hub when strata.yaml names one (the others stay on `remote`). */
const ON_HUB = new Set(['processed']);

const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

export class HubRemote implements RemoteBase {
  readonly kind = 'hf' as const;
  readonly yaml: string;
  readonly env: Record<string, string>;
  private readonly repoId: RepoDesignation;
  private readonly creds: { accessToken: `hf_${string}`; hubUrl: string };

  constructor(
    readonly hub: HubServer,
    /** The dataset repo, ORG/NAME. */
    readonly repo: string,
    /** The folder remote of the layers that are not on the Hub. */
    readonly folder: FolderRemote,
    /** The Hub address Strata runs use (a fault proxy), when not the Hub's own. */
    via?: string,
    /**
     * How Strata's files travel. Through a proxy, LFS unless asked: a proxy carries Xet's chunk
     * store only when started with carryLoopback, and the LFS matchers name files by path.
     */
    transfer?: 'xet' | 'lfs',
  ) {
    this.yaml = `${folder.yaml}hub: hf://datasets/${repo}\n`;
    // Set only when asked (or through a proxy): otherwise strata.yaml's hub_transfer, else Xet, decides.
    const chosen = transfer ?? (via ? 'lfs' : undefined);
    this.env = { HF_ENDPOINT: via ?? hub.url, HF_TOKEN: hub.token, ...(chosen ? { STRATA_HUB_TRANSFER: chosen } : {}) };
    this.repoId = { type: 'dataset', name: repo };
    this.creds = { accessToken: hub.token as `hf_${string}`, hubUrl: hub.url };
  }

  async layer(branch = 'main', layer = 'processed') {
    if (!ON_HUB.has(layer)) return this.folder.layer(branch, layer);
    const out: Record<string, string> = {};
    try {
      for await (const f of listFiles({ repo: this.repoId, revision: encodeURIComponent(branch), path: layer, recursive: true, ...this.creds })) {
        if (f.type !== 'file') continue;
        out[f.path.slice(layer.length + 1)] = sha256((await this.download(f.path, branch))!);
      }
    } catch (e) {
      // No repo, or no such branch yet: nothing there.
      if (statusOf(e) === 404) return out;
      throw e;
    }
    return out;
  }

  private async download(file: string, branch: string): Promise<Buffer | null> {
    const blob = await downloadFile({ repo: this.repoId, path: file.split('/').map(encodeURIComponent).join('/'), revision: branch, xet: false, ...this.creds });
    return blob ? Buffer.from(await blob.arrayBuffer()) : null;
  }

  async get(key: string, branch = 'main', layer = 'processed') {
    if (!ON_HUB.has(layer)) return this.folder.get(key, branch, layer);
    try {
      return await this.download(`${layer}/${key}`, branch);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  /** A commit of one file, as the hf CLI would make it; the repo is created when missing (a branch other than main must exist). */
  async put(key: string, content: string | Buffer, branch = 'main', layer = 'processed') {
    if (!ON_HUB.has(layer)) return this.folder.put(key, content, branch, layer);
    await createRepo({ repo: this.repoId, ...this.creds }).catch((e: unknown) => {
      if (statusOf(e) !== 409) throw e; // it exists
    });
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    await commit({
      repo: this.repoId,
      branch,
      title: `another tool writes ${layer}/${key}`,
      operations: [{ operation: 'addOrUpdate', path: `${layer}/${key}`, content: new Blob([new Uint8Array(bytes)]) }],
      ...this.creds,
    });
  }

  async cleanup() {
    // The repo lives on the emulator, stopped with the test run; the folder in a temp folder.
  }
}

/**
 * processed/ on a new dataset repo (`repo`, or lab/<random>), the other layers on a new
 * folder. `via`: the Hub address Strata runs use (a fault proxy); assertions always read the
 * Hub. `transfer`: Xet or LFS for Strata's runs.
 */
export function hubRemote(hub: HubServer, opts: { via?: string; repo?: string; transfer?: 'xet' | 'lfs' } = {}): HubRemote {
  return new HubRemote(hub, opts.repo ?? `lab/cell-paint-${randomBytes(5).toString('hex')}`, fileRemote(), opts.via, opts.transfer);
}
