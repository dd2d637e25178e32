/**
 * The dashboard's static files: `lib/http/ui/*` (shipped as is, no build step) and uPlot from node_modules. Each is
 * read once, on first request, and kept with its gzip form and an ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  readonly type: string;
}

/** The ui folder, whether running from lib/ (ts) or dist/lib/ (compiled). */
const uiDir = (): string => {
  const candidates = [join(__dirname, 'ui'), join(__dirname, '..', '..', '..', 'lib', 'http', 'ui')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
};

const uplotDir = (): string => dirname(require.resolve('uplot/package.json'));

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** URL path → file. */
const files = (): ReadonlyMap<string, string> => {
  const ui = uiDir();
  const uplot = uplotDir();
  return new Map([
    ['/', join(ui, 'index.html')],
    ['/ui/app.js', join(ui, 'app.js')],
    ['/ui/app.css', join(ui, 'app.css')],
    ['/ui/favicon.svg', join(ui, 'favicon.svg')],
    ['/ui/uplot.js', join(uplot, 'dist', 'uPlot.iife.min.js')],
    ['/ui/uplot.css', join(uplot, 'dist', 'uPlot.min.css')],
  ]);
};

/** Content-Security-Policy of the dashboard: everything from this origin only. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export class StaticAssets {
  private readonly paths = files();
  private readonly cache = new Map<string, Asset>();

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** Serve `path` (one of `has`), honouring If-None-Match and Accept-Encoding. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const a = this.load(path);
    const headers: Record<string, string> = {
      'Content-Type': a.type,
      ETag: a.etag,
      'Cache-Control': 'no-cache',
      Vary: 'Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
      ...(a.type.startsWith('text/html')
        ? { 'Content-Security-Policy': DASHBOARD_CSP, 'Referrer-Policy': 'no-referrer' }
        : {}),
    };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? a.gzip : a.body;
    res.writeHead(200, {
      ...headers,
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      'Content-Length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private load(path: string): Asset {
    let a = this.cache.get(path);
    if (a === undefined) {
      const file = this.paths.get(path)!;
      const body = readFileSync(file);
      a = {
        body,
        gzip: gzipSync(body),
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        type: TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
      };
      this.cache.set(path, a);
    }
    return a;
  }
}
