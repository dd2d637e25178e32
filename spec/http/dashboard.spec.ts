/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against a real rxpafd
 * process with --http. A screenshot is saved to test-output/dashboard.png (and to docs/dashboard.png with
 * UPDATE_DOCS_SCREENSHOT=1).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

import { Daemon, killAllDaemons } from '../helpers/daemon';
import type { RawClient } from '../helpers/raw-client';
import { msg, transact } from '../helpers/daemon';
import { connectClient, publishService, startCutProxy, startStack, unpublishService } from './helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', '..', 'test-output');

jest.setTimeout(60_000);

/** Start rxpafd with its HTTP listener; returns the daemon and the dashboard URL. */
const startDaemon = async (http = '127.0.0.1:0', pathfinder = 'tcp:127.0.0.1:0') => {
  const d = await Daemon.start(['--http', http, pathfinder]);
  const url = /INFO core http listening url=(\S+)/.exec(d.stderr)?.[1];
  if (url === undefined) throw new Error(`no http listening line in: ${d.stderr}`);
  return { d, url };
};

/** The page's document, typed as much as these checks need (the specs compile without the DOM library). */
interface PageDocument {
  querySelectorAll(selector: string): { readonly length: number };
  querySelector(selector: string): { readonly textContent: string | null } | null;
}
type InPage = { readonly document: PageDocument };

/** Wait until the table (`services` or `clients`) has `n` rows (a function, run in the page; strings would need eval, which the page's CSP forbids). */
const waitRows = (page: Page, table: string, n: number, timeout = 2000) =>
  page.waitForFunction(
    ([sel, want]) => (globalThis as unknown as InPage).document.querySelectorAll(sel).length === want,
    [`#${table} tbody tr`, n] as const,
    {
      timeout,
    },
  );

const rowIds = (page: Page): Promise<string[]> =>
  page.$$eval('#services tbody tr', (rows: Array<{ getAttribute(name: string): string | null }>) =>
    rows.map((r) => r.getAttribute('data-id')!),
  );

describe('dashboard (headless Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    await killAllDaemons();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await page?.close();
  });
  const client = async (addr: string, id: bigint | number, version = 3): Promise<RawClient> => {
    const c = await connectClient(addr, id, version);
    clients.push(c);
    return c;
  };

  it('shows services live, filters them, counts orphans down, lists clients, and resumes after a restart', async () => {
    let { d, url } = await startDaemon();
    const pfAddr = d.addr();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
    await page.waitForSelector('#services-empty:not([hidden])');

    // publish from a real client: the row appears within a second
    const a = await client(pfAddr, 0x4a3f9c21e07b55d1n);
    const t0 = performance.now();
    await publishService(a, 0x2f1e9d5c7a3b6e41n, { name: ['printer'], address: ['tls:10.0.0.15:631'] }, { ttl: 30 });
    await page.waitForSelector(`tr[data-id="${0x2f1e9d5c7a3b6e41n}"]`, { timeout: 1000 });
    const appearMs = performance.now() - t0;
    expect(appearMs).toBeLessThan(1000);
    expect(await page.textContent(`tr[data-id="${0x2f1e9d5c7a3b6e41n}"]`)).toContain('0x2f1e9d5c7a3b6e41');

    // a realistic directory: two more clients, one of them leaves its services behind as orphans
    const b = await client(pfAddr, 0x1b77e0c3a9d24f08n, 2);
    await publishService(a, 0x7ab4c6e2019f3d58n, { name: ['scanner'], address: ['tcp:10.0.0.16:9100'], dpi: [600] });
    await publishService(
      b,
      0x13c5e7a9b1d3f502n,
      { name: ['db'], role: ['primary'], address: ['tcp:10.0.1.4:5432'] },
      { ttl: 15 },
    );
    await publishService(
      b,
      0x5e8d2c4b6a1f9037n,
      { name: ['db'], role: ['replica'], address: ['tcp:10.0.1.5:5432'] },
      { ttl: 15 },
    );
    const c = await connectClient(pfAddr, 0x6c02d58f11ae9b3en);
    await publishService(
      c,
      0x0d4f6b8a2c1e3579n,
      { name: ['cache'], address: ['tcp:10.0.2.9:6379'], shard: [1, 2] },
      { ttl: 120 },
    );
    await publishService(
      c,
      0x64b2f0e8d6c4a291n,
      { name: ['metrics-exporter'], address: ['http:10.0.2.9:9100'] },
      { ttl: 45 },
    );
    c.close();
    const orphanRow = `tr[data-id="${0x64b2f0e8d6c4a291n}"]`;
    await page.waitForSelector(`${orphanRow} .badge.orphan`, { timeout: 2000 });
    const left = async (): Promise<number> => parseFloat((await page.textContent(`${orphanRow} .left`)) ?? 'NaN');
    const l0 = await left();
    expect(l0).toBeGreaterThan(40);
    expect(l0).toBeLessThanOrEqual(45);
    await page.waitForTimeout(1300);
    expect(await left()).toBeLessThan(l0); // counting down
    expect(await rowIds(page)).toHaveLength(6);

    // clients with protocol version, totals and the chart
    await waitRows(page, 'clients', 2, 4000);
    expect(await page.textContent(`#clients tr[data-id="${0x1b77e0c3a9d24f08n}"]`)).toContain('v2');
    expect(await page.textContent(`#clients tr[data-id="${0x4a3f9c21e07b55d1n}"]`)).toContain('v3');
    await page.waitForFunction(
      () => (globalThis as unknown as InPage).document.querySelector('#n-orphans')?.textContent === '2',
      undefined,
      {
        timeout: 4000,
      },
    );
    expect(await page.textContent('#n-services')).toBe('6');
    expect(await page.$('#chart canvas')).not.toBeNull();
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1')
      copyFileSync(join(OUTPUT, 'dashboard.png'), join(__dirname, '..', '..', 'docs', 'dashboard.png'));

    // type a filter: the table narrows; a bad filter shows the parser's message
    await page.fill('#filter', '(name=db');
    await page.waitForSelector('#filter[aria-invalid="true"]', { timeout: 2000 });
    expect(await page.textContent('#filter-error')).toMatch(/^invalid filter "\(name=db": .* at position 8$/);
    await page.fill('#filter', '(&(name=db)(role=replica))');
    await waitRows(page, 'services', 1, 2000);
    expect(await rowIds(page)).toEqual([String(0x5e8d2c4b6a1f9037n)]);
    expect(await page.getAttribute('#filter', 'aria-invalid')).toBe('false');
    expect(page.url()).toContain(`?filter=${encodeURIComponent('(&(name=db)(role=replica))')}`);
    await page.fill('#filter', '(name=db)');
    await waitRows(page, 'services', 2);

    // unpublish: the row goes
    await unpublishService(b, 0x13c5e7a9b1d3f502n);
    await page.waitForSelector(`tr[data-id="${0x13c5e7a9b1d3f502n}"]`, { state: 'detached', timeout: 1000 });
    expect(await rowIds(page)).toEqual([String(0x5e8d2c4b6a1f9037n)]);

    // restart the daemon on the same ports: the page reconnects, resyncs and keeps updating
    const httpPort = new URL(url).port;
    clients.splice(0).forEach((x) => x.close());
    expect((await d.stop()).code).toBe(0);
    await page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 3000 });
    ({ d, url } = await startDaemon(`127.0.0.1:${httpPort}`, pfAddr));
    await page.waitForSelector('#status[data-state="live"]', { timeout: 8000 });
    await waitRows(page, 'services', 0, 3000);
    const again = await client(d.addr(), 0x99);
    await publishService(again, 0x1234, { name: ['db'], role: ['new'] });
    await page.waitForSelector(`tr[data-id="${0x1234}"]`, { timeout: 1000 });
    expect(await rowIds(page)).toEqual([String(0x1234)]);
    expect(errors).toEqual([]);
    await d.stop();
  });

  it('asks for the bearer token when the server wants one', async () => {
    const { tempDir } = await import('../helpers/daemon');
    const dir = tempDir();
    try {
      const conf = dir.file(
        'rxpafd.yaml',
        'domains: [{name: lab, sockets: ["tcp:127.0.0.1:0"]}]\nhttp: {address: "0", token: t0k3n}\n',
      );
      const d = await Daemon.start(['-f', conf]);
      const url = /INFO core http listening url=(\S+)/.exec(d.stderr)![1]!;
      const a = await client(d.addr(), 5);
      await publishService(a, 77, { name: ['secret'] });
      page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('#auth:not([hidden])', { timeout: 5000 });
      expect(await page.$('tr[data-id="77"]')).toBeNull();
      await page.fill('#token', 't0k3n');
      await page.click('#auth button');
      await page.waitForSelector('tr[data-id="77"]', { timeout: 3000 });
      expect(await page.textContent('#domains')).toContain('lab');
      await d.stop();
    } finally {
      dir.cleanup();
    }
  });

  it("shows each client's protocol version, idle time and measured latency", async () => {
    const stack = await startStack({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { idleMin: 1, idleMax: 2 } }],
    });
    try {
      await client(stack.addr(), 0x22, 2);
      const tracked = await client(stack.addr(), 0x33);
      const { own } = await transact(tracked, 5, msg('track', 5, 'request'), 5000, ['accept', 'fail']);
      expect(own.at(-1)).toMatchObject({ 'msg-type': 'accept' });
      // the server's track query comes with the idle warning (about 1 s with idle max 2 s); the reply is its latency
      const query = await tracked.next(4000);
      expect(query).toMatchObject({ 'ta-cmd': 'track', 'track-type': 'query' });
      tracked.send(msg('track', 5, 'inform', { 'track-type': 'reply' }));
      page = await browser.newPage();
      await page.goto(stack.url);
      await waitRows(page, 'clients', 2, 5000);
      const cells = (id: number) =>
        page.$$eval(`#clients tr[data-id="${id}"] td`, (tds: Array<{ textContent: string | null }>) =>
          tds.map((td) => td.textContent ?? ''),
        );
      // client, address, protocol, connected, idle, latency
      const [, address, proto, , idle, latency] = await cells(0x33);
      expect(address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
      expect(proto).toBe('v3');
      expect(idle).toMatch(/^\d+\.\d s$/);
      expect(latency).toMatch(/^\d+\.\d ms$/);
      expect(parseFloat(latency!)).toBeLessThan(1000);
      const v2cells = await cells(0x22);
      expect(v2cells[2]).toBe('v2');
      expect(v2cells[4]).toMatch(/^\d+\.\d s$/);
      expect(v2cells[5]).toBe('–'); // not tracked: no latency
    } finally {
      await stack.close();
    }
  });

  it('resumes the watch after a network drop without a full resync', async () => {
    const stack = await startStack();
    const proxy = await startCutProxy(stack.http.port);
    try {
      const a = await client(stack.addr(), 1);
      await publishService(a, 10, { name: ['before'] });
      page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${proxy.port}/`);
      await page.waitForSelector('tr[data-id="10"]', { timeout: 5000 });
      expect(await page.getAttribute('#status', 'data-syncs')).toBe('1');
      proxy.cut();
      await page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 3000 });
      await publishService(a, 11, { name: ['during the drop'] });
      await unpublishService(a, 10);
      await page.waitForSelector('tr[data-id="11"]', { timeout: 5000 });
      await page.waitForSelector('tr[data-id="10"]', { state: 'detached', timeout: 1000 });
      expect(await page.getAttribute('#status', 'data-resumes')).toBe('1');
      expect(await page.getAttribute('#status', 'data-syncs')).toBe('1'); // no second sync: only the missed events
      expect(await rowIds(page)).toEqual(['11']);
    } finally {
      await proxy.close();
      await stack.close();
    }
  });
});
