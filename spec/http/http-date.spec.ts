import { expect } from '@jest/globals';
import fc from 'fast-check';
import { request } from 'node:http';

import { httpDate, httpDateCache } from '../../lib/http/http-date';
import { get, startStack } from './helpers';

describe("the HTTP listener's Date header", () => {
  it('is the IMF-fixdate toUTCString gives, for any time of years 1000-9999', () => {
    const lo = Date.UTC(1000, 0, 1);
    const hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min: lo, max: hi }), (t) => {
        expect(httpDate(t)).toBe(new Date(t).toUTCString());
      }),
      { numRuns: 2000 },
    );
    for (const t of [lo, hi, 0, Date.UTC(2000, 1, 29, 12), Date.UTC(2026, 11, 7, 23, 59, 59, 999)])
      expect(httpDate(t)).toBe(new Date(t).toUTCString());
    expect(httpDate(784111777000)).toBe('Sun, 06 Nov 1994 08:49:37 GMT'); // RFC 9110's example
  });

  it('leaves other years to toUTCString', () => {
    for (const t of [Date.UTC(999, 11, 31, 23, 59, 59), Date.UTC(10000, 0, 1), -62198755200000])
      expect(httpDate(t)).toBe(new Date(t).toUTCString());
  });

  it('is formatted once per second', () => {
    const at = httpDateCache();
    const t = Date.UTC(2026, 11, 7, 23, 30, 0);
    expect(at(t)).toBe('Mon, 07 Dec 2026 23:30:00 GMT');
    expect(at(t + 999)).toBe('Mon, 07 Dec 2026 23:30:00 GMT');
    expect(at(t + 1000)).toBe('Mon, 07 Dec 2026 23:30:01 GMT');
    expect(at(t - 1)).toBe('Mon, 07 Dec 2026 23:29:59 GMT');
  });

  it("is on every response, from the listener's clock, once", async () => {
    let now = Date.UTC(2031, 4, 17, 6, 5, 4) / 1000;
    const stack = await startStack({ http: { now: () => now } });
    try {
      for (const path of ['metrics', 'healthz', 'v1/domains', 'v1/nothing-here']) {
        const r = await get(`${stack.url}${path}`);
        expect([r.status, r.headers.date]).toEqual([expect.any(Number), 'Sat, 17 May 2031 06:05:04 GMT']);
      }
      now += 61.5;
      const r = await get(`${stack.url}healthz`);
      expect(r.headers.date).toBe('Sat, 17 May 2031 06:06:05 GMT');
      // once: the raw header lines (the parsed headers keep only the first Date)
      const raw = await new Promise<string[]>((resolve, reject) =>
        request(`${stack.url}metrics`, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
        })
          .on('error', reject)
          .end(),
      );
      expect(raw.filter((h) => h.toLowerCase() === 'date')).toEqual(['Date']);
    } finally {
      await stack.close();
    }
  });
});
