// The browse server's safety rules, asked over plain HTTP (the page itself is checked in
// Chromium by test/e2e/browse.test.ts): the token, read-only verbs, the Host check, images
// only when they are images, no credential in any answer, and nothing changed anywhere.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBrowse, type BrowseServer } from '../../scripts/lib/browse/server.js';
import { s3Remote, type BucketRemote } from '../support/remote.js';
import { assertOk } from '../support/run.js';
import { removeTemps } from '../support/scratch.js';
import { workingCopy, type WorkingCopy } from '../support/working-copy.js';

afterAll(removeTemps);

/** A GET (or another verb) with the Host header as given: fetch() will not set Host. */
function ask(url: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('the browse server', () => {
  let remote: BucketRemote;
  let wc: WorkingCopy;
  let server: BrowseServer;
  let secrets: string[];
  const answers: string[] = [];

  beforeAll(async () => {
    remote = await s3Remote(inject('s3'));
    wc = workingCopy(remote, { user: 'ana' });
    wc.write('data/processed/table.csv', 'a,b\n1,2\n');
    // Markup under an image's name, and a page of markup: neither may reach the browser as markup.
    wc.write('data/processed/evil.png', '<html><script>alert(1)</script></html>');
    wc.write('data/processed/page.html', '<script>alert(2)</script>');
    assertOk(await wc.run(['put-results']));
    const ctx = await wc.open();
    secrets = [remote.env.AWS_SECRET_ACCESS_KEY, remote.env.AWS_ACCESS_KEY_ID];
    expect(ctx.config.env.AWS_SECRET_ACCESS_KEY).toBe(remote.env.AWS_SECRET_ACCESS_KEY);
    server = await startBrowse(ctx);
  });
  afterAll(() => server?.close());

  const get = async (route: string, opts: { method?: string; host?: string } = {}) => {
    const r = await ask(route.startsWith('http') ? route : server.url + route, opts);
    answers.push(r.body);
    return r;
  };

  it('serves 127.0.0.1 only, under the token; a wrong or missing token is refused and says nothing', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}\/$/);
    const ok = await get('');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('processed');
    const origin = new URL(server.url).origin;
    const token = new URL(server.url).pathname.slice(1, -1);
    const wrong = token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    for (const path of ['/', `/${wrong}/`, `/${wrong}/file?layer=processed&key=table.csv`, `/?token=${token}`, `/x/${token}/`]) {
      const r = await get(origin + path);
      expect(r.status, path).toBe(403);
      expect(r.body).not.toContain('table.csv');
    }
    // The bare token goes to its folder, where the pages' relative links work.
    const bare = await get(`${origin}/${token}`);
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe(`/${token}/`);
  });

  it('is read-only: any verb but GET and HEAD is refused', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) expect((await get('file?layer=processed&key=table.csv', { method })).status).toBe(405);
    const head = await get('', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers only to a loopback Host (another name pointing here is a DNS rebinding)', async () => {
    const port = new URL(server.url).port;
    expect((await get('', { host: `attacker.example:${port}` })).status).toBe(421);
    expect((await get('', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('sends every page with a policy allowing no script, no Referer, no caching', async () => {
    const r = await get('');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(r.headers['content-security-policy']).not.toMatch(/script-src/);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('sends raw bytes only for a real image: markup named .png, or a page, is refused', async () => {
    const evil = await get('raw?layer=processed&branch=main&key=evil.png');
    expect(evil.status).toBe(400);
    expect(evil.headers['content-type']).toMatch(/^text\/html/);
    expect(evil.body).not.toContain('<script>');
    const html = await get('raw?layer=processed&branch=main&key=page.html');
    expect(html.status).toBe(400);
    // The page's source is shown as text.
    const view = await get('file?layer=processed&branch=main&key=page.html');
    expect(view.status).toBe(200);
    expect(view.body).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(view.body).not.toContain('<script>');
  });

  it('names what is missing: an unknown page, layer or file', async () => {
    expect((await get('nothing-here')).status).toBe(404);
    expect((await get('space/deeper?layer=processed')).status).toBe(404);
    const layer = await get('space?layer=processd&branch=main');
    expect(layer.status).toBe(400);
    expect(layer.body).toContain('No layer is named &quot;processd&quot;');
    // A key from the address is held to the key rule: `..` never reaches the store.
    for (const bad of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', 'a%2F.%2Fb.csv']) {
      const r = await get(`file?layer=processed&branch=main&key=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body).toContain('is not a name a layer holds');
      expect(r.body).not.toContain('root:');
    }
    expect((await get('space?layer=processed&branch=main&dir=..%2F..')).status).toBe(400);
    const file = await get('file?layer=processed&branch=main&key=gone.csv');
    expect(file.status).toBe(404);
    expect(file.body).toContain('gone.csv');
  });

  it('shows the names a pull refuses apart, as text, with the reason', async () => {
    // Another tool wrote a name with a backslash (and markup) into the bucket.
    await remote.put('odd\\<b>x</b>.csv', 'x\n');
    const r = await get('space?layer=processed&branch=main');
    expect(r.status).toBe(200);
    const refused = r.body.slice(r.body.indexOf('id="refused"'));
    expect(refused).toContain('odd\\&lt;b&gt;x&lt;/b&gt;.csv');
    expect(refused).toMatch(/backslash/);
    expect(r.body).not.toContain('<b>x</b>');
  });

  it('never sends a credential, and changes nothing anywhere', async () => {
    const record = wc.path('.strata/state/state.db');
    const before = { local: wc.processed(), remote: await remote.layer(), keys: await remote.storeKeys(), record: sha(record) };
    for (const route of ['', 'space?layer=processed&branch=main', 'diff?layer=processed&a=main&b=main', 'history?layer=processed&branch=main', 'file?layer=processed&branch=main&key=table.csv', 'history?layer=external&branch=main']) {
      expect((await get(route)).status, route).toBe(200);
    }
    const everything = answers.join('\n');
    for (const s of secrets) expect(everything).not.toContain(s);
    expect({ local: wc.processed(), remote: await remote.layer(), keys: await remote.storeKeys(), record: sha(record) }).toEqual(before);
  });
});
