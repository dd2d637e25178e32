/**
 * The `rxpaf` entry point (lib/index.ts) against the narrower ones: "the same names are available from the narrower
 * entry points `rxpaf/client`, `rxpaf/server`, `rxpaf/replay` and `rxpaf/filter`". Every value the root exports is
 * the very object of a narrower entry (no second copy of a class, so `instanceof` works across them), and every
 * value of a narrower entry is also on the root.
 */
import * as root from 'rxpaf';
import * as client from 'rxpaf/client';
import * as filter from 'rxpaf/filter';
import * as replay from 'rxpaf/replay';
import * as server from 'rxpaf/server';

const narrower: Record<string, Record<string, unknown>> = { client, server, replay, filter };

describe('the rxpaf entry point', () => {
  it('exports the documented runtime values', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'createClient',
        'createServer',
        'readLines$',
        'replay$',
        'escapeFilterValue',
        'matchFilter',
        'parseFilter',
        'printFilter',
        'PafArgumentError',
        'PafClosedError',
        'PafConfigError',
        'PafConnectionError',
        'PafDomainError',
        'PafError',
        'PafFilterError',
        'PafReplayError',
        'PafRequestError',
        'PafTimeoutError',
        'PafTransportError',
        'PafUnpublishedError',
        'toJson',
      ].sort(),
    );
    for (const [name, v] of Object.entries(root)) expect([name, typeof v]).toEqual([name, 'function']);
  });

  it.each(Object.keys(narrower))('shares every value of rxpaf/%s, the same object', (entry) => {
    const values = Object.entries(narrower[entry]!);
    expect(values.length).toBeGreaterThan(0);
    for (const [name, v] of values) expect([name, (root as Record<string, unknown>)[name] === v]).toEqual([name, true]);
  });

  it('exports no value that no narrower entry has', () => {
    const all = new Set(Object.values(narrower).flatMap((m) => Object.keys(m)));
    expect(Object.keys(root).filter((k) => !all.has(k))).toEqual([]);
  });
});
