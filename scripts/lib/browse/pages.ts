// The browse pages, drawn from what reader.ts read (pure: data in, markup out). Every value
// goes through `html`, which escapes it; links carry keys and branches as query parameters.
import type { Entry } from '../listing/entry.js';
import type { LogEntry, LogPage, Origin, RemoteListing } from '../remotes/types.js';
import { describeSpace, type Space } from '../space.js';
import { bytes, when } from '../ui/format.js';
import type { Comparison, Difference } from './compare.js';
import { html, query, type Html } from './html.js';
import type { FileView, LayerOverview, SpaceRef } from './reader.js';

/** What every page needs besides its data: the project's name, links to commits, the main branch. */
export interface PageContext {
  project: string;
  mainBranch: string;
  /** The current git branch of the working copy (null when detached). */
  currentBranch: string | null;
  commitLink: ((sha: string) => string) | null;
}

/** Links within the pages, relative to the token's root. */
export const link = {
  space: (r: SpaceRef, dir?: string) => `space${query({ layer: r.layer, branch: r.branch, rev: r.rev, dir })}`,
  history: (r: SpaceRef, before?: string) => `history${query({ layer: r.layer, branch: r.branch, before })}`,
  file: (r: SpaceRef, key: string) => `file${query({ layer: r.layer, branch: r.branch, rev: r.rev, key })}`,
  raw: (r: SpaceRef, key: string) => `raw${query({ layer: r.layer, branch: r.branch, rev: r.rev, key })}`,
  diff: (layer: string, a: { branch: string; rev?: string }, b: { branch: string; rev?: string }) =>
    `diff${query({ layer, a: a.branch, arev: a.rev, b: b.branch, brev: b.rev })}`,
};

/** A push in one line: who, when, the git commit (linked where the host is known), dirty or not. */
export function pushCell(e: LogEntry | undefined, ctx: PageContext): Html {
  if (!e) return html`<span class="muted">no push recorded</span>`;
  const sha = e.gitSha ? (ctx.commitLink ? html`<a href="${ctx.commitLink(e.gitSha)}" rel="noreferrer" class="k">${e.gitSha.slice(0, 8)}</a>` : html`<span class="k">${e.gitSha.slice(0, 8)}</span>`) : html`<span class="muted">no commit</span>`;
  return html`<span class="k">${e.id}</span> · ${when(e.time)} · ${e.user}@${e.host} · git ${sha}${e.dirty ? html` <b class="del" title="uncommitted changes in the tree">+dirty</b>` : ''} · ${e.recipe}${e.status === 'interrupted' ? html` <b class="del">interrupted</b>` : ''}`;
}

function originCell(origin: Origin | undefined, ctx: PageContext): Html {
  if (!origin) return html`<span class="muted">unknown</span>`;
  if (origin.foreign) return html`<span class="muted">not pushed by Strata: ${origin.foreign}</span>`;
  return html`${pushCell(origin.push, ctx)}${origin.note ? html` <span class="muted">(${origin.note})</span>` : ''}`;
}

export function overviewPage(layers: LayerOverview[], ctx: PageContext): Html {
  const main = ctx.mainBranch;
  return html`<h1>${ctx.project}</h1>
<p class="muted">Your working copy is on ${ctx.currentBranch ? html`branch <b>${ctx.currentBranch}</b>` : 'a detached HEAD'}. Nothing here changes a remote or your files.</p>
${layers.map(
  (o) => html`<h2>${o.layer.name} <span class="muted">· ${o.layer.local}/ · ${o.layer.kind === 'input' ? 'input (main only)' : 'result (per branch)'}</span></h2>
<p class="muted">remote: <span class="k">${o.layer.remote}</span></p>
<table><tr><th>branch</th><th>last push</th><th></th></tr>
${o.spaces.map((s) => {
  const r = { layer: o.layer.name, branch: s.branch };
  return html`<tr><td><a href="${link.space(r)}"><b>${s.branch}</b></a>${s.branch === ctx.currentBranch ? html` <span class="muted">(yours)</span>` : ''}</td><td>${pushCell(s.last, ctx)}</td>
<td><a href="${link.history(r)}">history</a>${s.branch !== main ? html` · <a href="${link.diff(o.layer.name, { branch: main }, { branch: s.branch })}">vs ${main}</a>` : ''}</td></tr>`;
})}
</table>
${o.tags.length ? html`<p class="muted">tags: ${o.tags.map((t, i) => html`${i ? ', ' : ''}<a href="${link.space({ layer: o.layer.name, branch: main, rev: t })}">${t}</a>`)}</p>` : ''}`,
)}`;
}

const SIGN = { added: '+', changed: '~', deleted: '−' } as const;
const CLASS = { added: 'add', changed: 'chg', deleted: 'del' } as const;

/** At most this many differences are drawn per page (the counts are always whole). */
export const MAX_ROWS = 5000;

export function diffPage(a: Space, b: Space, result: { comparison: Comparison; origins: Map<string, Origin> }, ctx: PageContext, choices: Html): Html {
  const { differences, same } = result.comparison;
  const count = (c: Difference['change']) => differences.filter((d) => d.change === c).length;
  const refB = { layer: b.layer.name, branch: b.branch, rev: b.revision };
  const refA = { layer: a.layer.name, branch: a.branch, rev: a.revision };
  const shown = differences.slice(0, MAX_ROWS);
  return html`<h1>${b.layer.name}: ${label(b)} against ${label(a)}</h1>
${choices}
<p><span class="add">${count('added')} added</span> · <span class="chg">${count('changed')} changed</span> · <span class="del">${count('deleted')} deleted</span> · ${same} the same</p>
<p class="muted">${describeSpace(a)} → ${describeSpace(b)}</p>
${differences.length
  ? html`<table id="differences"><tr><th></th><th>file</th><th class="n">size before</th><th class="n">size now</th><th>the push that made it</th></tr>
${shown.map(
  (d) => html`<tr class="${CLASS[d.change]}"><td>${SIGN[d.change]}</td><td class="k">${d.change === 'deleted' ? html`<a href="${link.file(refA, d.key)}">${d.key}</a>` : html`<a href="${link.file(refB, d.key)}">${d.key}</a>`}</td>
<td class="n">${d.a ? bytes(d.a.size) : ''}</td><td class="n">${d.b ? bytes(d.b.size) : ''}</td><td>${d.b ? originCell(result.origins.get(d.key), ctx) : html`<span class="muted">deleted</span>`}</td></tr>`,
)}</table>${differences.length > shown.length ? html`<p class="note">${differences.length - shown.length} more differences are not drawn.</p>` : ''}`
  : html`<p class="note">The two hold the same files.</p>`}
${!b.revision && !a.revision && a.isMain && !b.isMain && differences.length ? reviewNote(b, ctx) : ''}`;
}

/** What a reviewer does next: bring the branch's results to main, or say what is wrong where the team talks. */
function reviewNote(b: Space, ctx: PageContext): Html {
  const versioned = b.remote.scheme === 'hf';
  return html`<p class="note">Reviewed? A maintainer brings these results to ${ctx.mainBranch} with <code>just promote ${b.branch}</code>${versioned ? html`; <code>just pr-create "TITLE"</code>, run on ${b.branch}, opens a pull request on the Hub to comment on` : ''}. To comment, link the push's git commit${ctx.commitLink ? ' (the links above)' : ''} in the branch's pull request.</p>`;
}

/** A space named for people: "feature-x", or "main at v1". */
export function label(s: Space): string {
  return s.revision ? `${s.branch} at ${s.revision}` : s.branch;
}

/** The compare form: a layer, and two branches (and revisions, on a versioned layer). */
export function compareForm(layers: string[], picked: { layer: string; a: string; arev?: string; b: string; brev?: string }, branches: string[]): Html {
  const opts = (chosen: string) => branches.map((b) => html`<option${b === chosen ? html` selected` : ''}>${b}</option>`);
  return html`<form method="get" action="diff">
<label>layer <select name="layer">${layers.map((l) => html`<option${l === picked.layer ? html` selected` : ''}>${l}</option>`)}</select></label>
<label>from <select name="a">${opts(picked.a)}</select></label> <input name="arev" placeholder="tag or commit (Hub)" value="${picked.arev ?? ''}" size="14">
<label>to <select name="b">${opts(picked.b)}</select></label> <input name="brev" placeholder="tag or commit (Hub)" value="${picked.brev ?? ''}" size="14">
<button>compare</button></form>`;
}

export function historyPage(space: Space, page: LogPage, ctx: PageContext, before?: string): Html {
  const r = { layer: space.layer.name, branch: space.branch };
  return html`<h1>${space.layer.name} · ${space.branch}: history</h1>
<p class="muted">${describeSpace(space)}${before ? ` · older than ${before}` : ''}</p>
${page.entries.length
  ? html`<table id="history"><tr><th>push</th><th>when</th><th>who</th><th>git commit</th><th>recipe</th><th class="n">written</th><th class="n">deleted</th><th class="n">bytes</th></tr>
${page.entries.map(
  (e) => html`<tr><td class="k">${e.id}</td><td>${when(e.time)}</td><td>${e.user}@${e.host}</td>
<td>${e.gitSha ? (ctx.commitLink ? html`<a href="${ctx.commitLink(e.gitSha)}" rel="noreferrer" class="k">${e.gitSha.slice(0, 8)}</a>` : html`<span class="k">${e.gitSha.slice(0, 8)}</span>`) : html`<span class="muted">none</span>`}${e.dirty ? html` <b class="del">+dirty</b>` : ''}</td>
<td>${e.recipe}${e.status === 'interrupted' ? html` <b class="del">interrupted</b>` : ''}</td><td class="n">${e.uploaded}</td><td class="n">${e.deleted}</td><td class="n">${bytes(e.bytes)}</td></tr>`,
)}</table>`
  : html`<p class="note">No push recorded${before ? ' before that one' : ''}.</p>`}
${page.older ? html`<p><a href="${link.history(r, page.older)}">older pushes</a></p>` : ''}`;
}

/** A folder of a space: its subfolders (with file counts and sizes) and its files. */
export function spacePage(space: Space, listing: RemoteListing, dir: string, ctx: PageContext): Html {
  const { entries, refused } = listing;
  const r = { layer: space.layer.name, branch: space.branch, rev: space.revision };
  const prefix = dir ? `${dir}/` : '';
  const folders = new Map<string, { files: number; size: number }>();
  const files: Entry[] = [];
  for (const e of entries) {
    if (!e.key.startsWith(prefix)) continue;
    const rest = e.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) files.push(e);
    else {
      const f = folders.get(rest.slice(0, slash)) ?? { files: 0, size: 0 };
      f.files++;
      f.size += e.size;
      folders.set(rest.slice(0, slash), f);
    }
  }
  const up = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  return html`<h1>${space.layer.name} · ${label(space)}${dir ? html` · <span class="k">${dir}/</span>` : ''}</h1>
<p class="muted">${describeSpace(space)} · ${entries.length} files in all${space.branch !== ctx.mainBranch && !space.revision ? html` · <a href="${link.diff(space.layer.name, { branch: ctx.mainBranch }, { branch: space.branch })}">compare with ${ctx.mainBranch}</a>` : ''} · <a href="${link.history(r)}">history</a></p>
${dir ? html`<p><a href="${link.space(r, up || undefined)}">↑ ${up ? `${up}/` : 'top'}</a></p>` : ''}
<table id="files"><tr><th>name</th><th class="n">files</th><th class="n">size</th></tr>
${[...folders].map(([name, f]) => html`<tr><td class="k"><a href="${link.space(r, prefix + name)}">${name}/</a></td><td class="n">${f.files}</td><td class="n">${bytes(f.size)}</td></tr>`)}
${files.slice(0, MAX_ROWS).map((e) => html`<tr><td class="k"><a href="${link.file(r, e.key)}">${e.key.slice(prefix.length)}</a></td><td class="n"></td><td class="n">${bytes(e.size)}</td></tr>`)}
</table>${files.length > MAX_ROWS ? html`<p class="note">${files.length - MAX_ROWS} more files in this folder are not drawn.</p>` : ''}
${refused.length ? html`<h2>Names a pull refuses</h2><p class="muted">Another tool wrote these; Strata neither pulls nor shows them (rename them on the remote).</p>
<table id="refused">${refused.slice(0, MAX_ROWS).map((r) => html`<tr><td class="k">${r.key}</td><td>${r.reason}</td></tr>`)}</table>` : ''}`;
}

const LOCAL: Record<FileView['local'], Html> = {
  same: html`<span class="same">your local copy is the same</span>`,
  differs: html`<b class="differs">your local copy differs</b>`,
  'not here': html`<span class="muted">not in your working copy</span>`,
  unknown: html`<span class="muted">not compared (too large to hash here, or no digest to compare)</span>`,
};

export function filePage(view: FileView, ctx: PageContext): Html {
  const { space, entry } = view;
  const r = { layer: space.layer.name, branch: space.branch, rev: space.revision };
  const dir = entry.key.includes('/') ? entry.key.slice(0, entry.key.lastIndexOf('/')) : '';
  return html`<h1 class="k">${entry.key}</h1>
<p class="muted">${space.layer.name} · ${label(space)} · <a href="${link.space(r, dir || undefined)}">folder</a>${space.branch !== ctx.mainBranch || space.revision ? html` · <a href="${link.file({ layer: space.layer.name, branch: ctx.mainBranch }, entry.key)}">${ctx.mainBranch}'s copy</a>` : ''}</p>
<table id="about">
<tr><th>size</th><td>${bytes(entry.size)} <span class="muted">(${entry.size} bytes)</span></td></tr>
<tr><th>made by</th><td id="origin">${originCell(view.origin, ctx)}</td></tr>
<tr><th>local copy</th><td id="local">${LOCAL[view.local]} <span class="muted">(${space.layer.local}/${entry.key})</span></td></tr>
${Object.entries(entry.digests).map(([name, value]) => html`<tr><th>${name}</th><td class="k">${value}</td></tr>`)}
</table>
<h2>Preview</h2>
${previewBlock(view, r)}`;
}

function previewBlock(view: FileView, r: SpaceRef): Html {
  const p = view.preview;
  switch (p.kind) {
    case 'table':
      return html`<p class="muted">${p.format}${p.totalRows !== undefined ? ` · ${p.totalRows} rows` : ''} · ${p.columns.length} columns${p.note ? ` · ${p.note}` : ''}</p>
<table id="preview"><tr>${p.columns.map((c) => html`<th>${c.name}${c.type ? html`<br><span class="muted">${c.type}</span>` : ''}</th>`)}</tr>
${p.rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</table>`;
    case 'image':
      return html`<img class="preview" id="preview" alt="${view.entry.key}" src="${link.raw(r, view.entry.key)}">`;
    case 'text':
      return html`<pre id="preview">${p.text}</pre>${p.truncated ? html`<p class="note">Only the beginning of the file is shown.</p>` : ''}`;
    case 'none':
      return html`<p class="note" id="preview">No preview: ${p.reason}.</p>`;
    case 'error':
      return html`<p class="err" id="preview">The preview could not be read: ${p.message}</p>`;
  }
}

export function errorPage(message: string, hint?: string): Html {
  return html`<h1>Not shown</h1><p class="err">${message}</p>${hint ? html`<p class="note">${hint}</p>` : ''}`;
}
