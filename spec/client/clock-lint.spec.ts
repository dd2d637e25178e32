/**
 * The lint rules that keep the client on injected time (issue 11, item 1), tried on snippets with the project's own
 * eslint.config.js: in lib/client only lib/client/adapter.ts may touch a clock, a timer, rxjs's schedulers or
 * randomness; the client core (lib/client/core) is pure like the server core (lib/state): no rxjs, no node:*, no
 * host globals. Type-aware rules are switched off here (these rules need no types), so a snippet lints in ~1 s.
 */
import { ESLint, type Linter } from 'eslint';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

const root = join(__dirname, '..', '..');
let eslint: ESLint;

beforeAll(() => {
  // the project's config, loaded here (eslint's own loader uses a dynamic import, which jest's VM refuses)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(join(root, 'eslint.config.js')) as Linter.Config[];
  eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    baseConfig: config,
    overrideConfig: [tseslint.configs.disableTypeChecked],
  });
});

/** The rule ids eslint reports for `code` as if it were the file `path` (relative to the repository root). */
const errors = async (path: string, code: string): Promise<string[]> => {
  const [r] = await eslint.lintText(code, { filePath: join(root, path) });
  return r!.messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? `fatal: ${m.message}`);
};

const RESTRICTED = /^no-restricted-(globals|properties|syntax|imports)$/;

/** Wall-clock and randomness sources the client's shell may not use (only the adapter may). */
const clockSnippets: Array<[string, string]> = [
  ['setTimeout', 'export const f = (): unknown => setTimeout(() => undefined, 10);'],
  ['setInterval', 'export const f = (): unknown => setInterval(() => undefined, 10);'],
  ['setImmediate', 'export const f = (): unknown => setImmediate(() => undefined);'],
  ['queueMicrotask', 'export const f = (): void => queueMicrotask(() => undefined);'],
  ['globalThis.setTimeout', 'export const f = (): unknown => globalThis.setTimeout(() => undefined, 10);'],
  ['Date.now()', 'export const f = (): number => Date.now();'],
  ['new Date()', 'export const f = (): Date => new Date();'],
  ['Date()', 'export const f = (): string => Date();'],
  ['Math.random()', 'export const f = (): number => Math.random();'],
  ['performance.now()', 'export const f = (): number => performance.now();'],
  ['process.hrtime', 'export const f = (): unknown => process.hrtime.bigint();'],
  ['rxjs asyncScheduler', "import { asyncScheduler } from 'rxjs';\nexport const s = asyncScheduler;"],
  ['rxjs asapScheduler', "import { asapScheduler } from 'rxjs';\nexport const s = asapScheduler;"],
  ['rxjs interval', "import { interval } from 'rxjs';\nexport const f = (): unknown => interval(10);"],
  ['rxjs delay', "import { delay } from 'rxjs';\nexport const f = (): unknown => delay(10);"],
  ['rxjs timeout', "import { timeout } from 'rxjs';\nexport const f = (): unknown => timeout(10);"],
  ['rxjs debounceTime', "import { debounceTime } from 'rxjs';\nexport const f = (): unknown => debounceTime(10);"],
  ['timer(due) without a scheduler', "import { timer } from 'rxjs';\nexport const f = (): unknown => timer(10);"],
  ['timer renamed', "import { timer as t } from 'rxjs';\nexport const f = (): unknown => t(10);"],
  [
    'repeat({ delay: ms })',
    "import { of, repeat } from 'rxjs';\nexport const f = (): unknown => of(1).pipe(repeat({ delay: 100 }));",
  ],
  [
    'retry({ delay: ms })',
    "import { of, retry } from 'rxjs';\nexport const f = (): unknown => of(1).pipe(retry({ count: 1, delay: 100 }));",
  ],
  ['node:timers/promises', "import { setTimeout as sleep } from 'node:timers/promises';\nexport const f = sleep;"],
  ['node:perf_hooks', "import { performance as p } from 'node:perf_hooks';\nexport const f = (): number => p.now();"],
  ['node:crypto', "import { randomBytes } from 'node:crypto';\nexport const f = (): unknown => randomBytes(8);"],
  // the other ways in: aliases of the global object, other modules and entry points, timers in disguise
  ['global.setTimeout', 'export const f = (): unknown => global.setTimeout(() => undefined, 10);'],
  ["globalThis['setTimeout']", "export const f = (): unknown => globalThis['setTimeout'](() => undefined, 10);"],
  [
    'setTimeout destructured',
    'const { setTimeout: later } = globalThis;\nexport const f = (): unknown => later(() => 0, 1);',
  ],
  ['globalThis.Date.now()', 'export const f = (): number => globalThis.Date.now();'],
  ["process['hrtime']", "export const f = (): unknown => process['hrtime']();"],
  ['process.uptime()', 'export const f = (): number => process.uptime();'],
  ['process.nextTick loop', 'const loop = (): void => process.nextTick(loop);\nexport const f = loop;'],
  ['queueMicrotask loop', 'const loop = (): void => queueMicrotask(loop);\nexport const f = loop;'],
  ['setTimeout.call', 'export const f = (): unknown => setTimeout.call(null, () => undefined, 10);'],
  [
    'a sleep in a polling loop',
    'export const f = async (up: () => boolean): Promise<void> => {\n  while (!up()) await new Promise((r) => setTimeout(r, 10));\n};',
  ],
  ['performance.timeOrigin', 'export const f = (): number => performance.timeOrigin;'],
  ['crypto.getRandomValues (Web Crypto)', 'export const f = (): unknown => crypto.getRandomValues(new Uint8Array(8));'],
  ['crypto.randomUUID', 'export const f = (): string => crypto.randomUUID();'],
  ['AbortSignal.timeout', 'export const f = (): AbortSignal => AbortSignal.timeout(10);'],
  ['Atomics.wait', 'export const f = (a: Int32Array): string => Atomics.wait(a, 0, 0, 10);'],
  ['rxjs namespace import', "import * as rx from 'rxjs';\nexport const f = (): unknown => rx.timer(10);"],
  ['rxjs/operators delay', "import { delay } from 'rxjs/operators';\nexport const f = (): unknown => delay(10);"],
  [
    'rxjs/internal scheduler',
    "import { asyncScheduler } from 'rxjs/internal/scheduler/async';\nexport const f = (): unknown => asyncScheduler;",
  ],
  ['re-export of an rxjs clock', "export { asyncScheduler } from 'rxjs';"],
  ['node:timers namespace', "import * as timers from 'node:timers';\nexport const f = timers.setTimeout;"],
  ['timers (bare name)', "import { setInterval as every } from 'timers';\nexport const f = every;"],
  ['dynamic import of node:timers', "export const f = async (): Promise<unknown> => import('node:timers');"],
  ['import = require', "import timers = require('timers');\nexport const f = timers;"],
  [
    'timer(due, period) (no scheduler)',
    "import { timer } from 'rxjs';\nexport const f = (): unknown => timer(10, 20);",
  ],
  ['timer(due, undefined)', "import { timer } from 'rxjs';\nexport const f = (): unknown => timer(10, undefined);"],
  [
    'timer(0, period, scheduler): polling',
    "import { timer, type SchedulerLike } from 'rxjs';\nexport const f = (scheduler: SchedulerLike): unknown => timer(0, 10, scheduler);",
  ],
];

describe('lib/client reads time, timers and randomness only through the adapter', () => {
  it.each(clockSnippets)('%s is an error in the shell (lib/client/client.ts) and in the core', async (_, code) => {
    for (const path of ['lib/client/client.ts', 'lib/client/some-new-file.ts', 'lib/client/core/merge.ts']) {
      const found = await errors(path, code);
      expect({ path, found: found.some((id) => RESTRICTED.test(id)) }).toEqual({ path, found: true });
    }
  });

  it('the adapter is the one file allowed to use them', async () => {
    for (const [name, code] of clockSnippets) {
      const found = await errors('lib/client/adapter.ts', code);
      expect({ name, found: found.filter((id) => RESTRICTED.test(id)) }).toEqual({ name, found: [] });
    }
  });

  it('the injected scheduler is allowed: timer(due, scheduler), repeat with a timer on it, new Date(ms), env.random', async () => {
    const code = [
      "import { of, repeat, timer, type SchedulerLike } from 'rxjs';",
      'export const a = (scheduler: SchedulerLike): unknown => timer(10, scheduler);',
      'export const b = (env: { scheduler: SchedulerLike }): unknown =>',
      '  of(1).pipe(repeat({ delay: () => timer(10, env.scheduler) }));',
      'export const c = (ms: number): Date => new Date(ms);',
      'export const d = (s: SchedulerLike): number => s.now();',
      'export const e = (env: { random: () => number }): number => env.random();',
    ].join('\n');
    expect(await errors('lib/client/domain-watcher.ts', code)).toEqual([]);
  });
});

describe('the client core is pure, by the same rule as the server core', () => {
  const impure: Array<[string, string]> = [
    ['rxjs', "import { of } from 'rxjs';\nexport const f = of;"],
    ['rxjs/operators', "import { map } from 'rxjs/operators';\nexport const f = map;"],
    ['node:fs', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;"],
    ['fs', "import { readFileSync } from 'fs';\nexport const f = readFileSync;"],
    ['net', "import { connect } from 'net';\nexport const f = connect;"],
    ['Buffer', 'export const f = (): unknown => Buffer.alloc(1);'],
    ['process', 'export const f = (): unknown => process.env;'],
    ['globalThis', 'export const f = (): unknown => globalThis;'],
    ['setTimeout', 'export const f = (): unknown => setTimeout(() => undefined, 1);'],
    ['Date.now()', 'export const f = (): number => Date.now();'],
    ['Math.random()', 'export const f = (): number => Math.random();'],
    ['the transport', "import { connect } from '../../transport/connect';\nexport const f = connect;"],
    ['a dynamic import', "export const f = async (): Promise<unknown> => import('node:fs');"],
    ['global', 'export const f = (): unknown => global;'],
    ['Web Crypto', 'export const f = (): unknown => crypto.getRandomValues(new Uint8Array(8));'],
    ['AbortSignal.timeout', 'export const f = (): unknown => AbortSignal.timeout(10);'],
  ];

  it.each(impure)('%s is an error in lib/client/core and in lib/state alike', async (_, code) => {
    const core = await errors('lib/client/core/merge.ts', code);
    const server = await errors('lib/state/directory.ts', code);
    expect(core.some((id) => RESTRICTED.test(id))).toBe(true);
    expect(server.some((id) => RESTRICTED.test(id))).toBe(true);
  });

  it('the core does not reach into the client shell', async () => {
    const code = "import { ClientRuntime } from '../runtime';\nexport const f = ClientRuntime;";
    expect(await errors('lib/client/core/merge.ts', code)).toContain('no-restricted-imports');
  });

  it('the core as it is passes', async () => {
    const code = "import { Map as IMap } from 'immutable';\nexport const f = (): unknown => IMap();";
    expect(await errors('lib/client/core/merge.ts', code)).toEqual([]);
  });
});
