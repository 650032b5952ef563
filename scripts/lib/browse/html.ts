// HTML built by a tagged template that escapes every value put into it (escape-html), so a
// hostile key, a commit title or a CSV cell is always text, never markup. Only what another
// `html` template made passes unescaped: markup can only come from this code's own templates.
import escapeHtml from 'escape-html';

/** Markup this code made (by `html`), safe to put into a page as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** html`<td>${key}</td>`: the template's own text is markup; every value is escaped, arrays joined. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** A query string from parameters (undefined ones left out), for links inside the pages. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#1f3b57;color:#fff;padding:8px 20px;display:flex;gap:18px;align-items:baseline}
header a{color:#dbe9f6;text-decoration:none}header b{font-size:16px}
main{padding:12px 20px 40px}
h1{font-size:20px;margin:10px 0}h2{font-size:16px;margin:22px 0 6px}
table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #e3e6ea;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#444}td.n,th.n{text-align:right}
code,.k{font-family:ui-monospace,monospace;font-size:13px}h1.k{font-size:18px}
.muted{color:#667}.add{color:#106b21}.chg{color:#8a5a00}.del{color:#a4161a}.same{color:#106b21}.differs{color:#a4161a}
.note{background:#f4f6f8;border-left:3px solid #9ab;padding:6px 10px;margin:8px 0}
.err{background:#fdecea;border-left:3px solid #a4161a;padding:6px 10px;margin:8px 0}
pre{background:#f6f8fa;padding:10px;overflow:auto;max-height:70vh}
img.preview{max-width:100%;max-height:70vh;border:1px solid #ddd}
form{margin:8px 0}input,select{font:inherit}
`;

/** A whole page: the title, the header's links (relative to the token's root) and the body. */
export function page(title: string, body: Html, project: string): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<link rel="icon" href="data:,"><title>${title} · ${project} · Strata</title><style>${new Html(STYLE)}</style></head>
<body><header><b>Strata browse</b><span>${project}</span><a href="./">overview</a><a href="diff">compare</a><span class="muted">read-only</span></header>
<main>${body}</main></body></html>`;
}
