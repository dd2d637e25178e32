/**
 * `npm run build && node dist/bench/fanout.js [rounds] [other-root]`: the shell's part of a notification fan-out
 * alone: `queueEffects` + `flushDirty` (lib/server/interpret.ts) of 64 changes, each told to 100 subscribers (the
 * notifies built by the reducer's `matchNotify`), into 100 `StreamConnection`s over fake sockets; and of 512
 * `complete` replies to one connection (a read of a pipelining client). Prints process CPU ns per notify and per
 * reply, the median of the rounds (30 by default, each 20 folds).
 *
 * A change of 20-40 ns is lost in the noise of `bench/shell.ts` (~600 ns a notification, reducer included) on a busy
 * machine. With `other-root` (the root of another build of rxpaf, e.g. a copy of main's `dist/` and `package.json`)
 * both builds' modules are loaded side by side in this process and run alternately, round by round, so that the
 * machine's drift hits both: an A/B of the same work.
 */
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';

import * as interpret from '../lib/server/interpret';
import * as replies from '../lib/state/replies';
import * as compact from '../lib/filter/compact-props';
import * as stream from '../lib/transport/stream-connection';
import type { Effect } from '../lib/state/effects';
import type { Service } from '../lib/state/model';
import type { Connection } from '../lib/transport/transport';
import { FakeSocket } from './fake-socket';

const CHANGES = 64;
const SUBSCRIBERS = 100;
const FOLDS = 20;
const REPLIES = 512;

/** The modules of one build that the fan-out runs through. */
type Build = {
  interpret: typeof interpret;
  replies: typeof replies;
  compact: typeof compact;
  stream: typeof stream;
};

/** The interpreter's dependencies over `conns`, with every callback a no-op. */
const depsOf = (conns: Map<number, Connection>): interpret.InterpreterDeps => ({
  conns,
  onServerClose: () => undefined,
  changes$: { next: () => undefined } as unknown as interpret.InterpreterDeps['changes$'],
  domain: 'bench',
  onSendFailed: () => undefined,
});

/** One build's replies, ready to run: a fold of REPLIES completes to one connection (a read of a pipelining client). */
const replyFold = (b: Build): (() => void) => {
  const conns = new Map<number, Connection>([
    [1, new b.stream.StreamConnection(new FakeSocket(20_000) as unknown as Socket, true)],
  ]);
  const deps = depsOf(conns);
  const fx: Effect[] = [];
  for (let i = 0; i < REPLIES; i++)
    fx.push({ type: 'send', conn: 1, msg: b.replies.complete('publish', BigInt(1000 + i)) });
  return () => {
    const dirty: interpret.Dirty = new Map();
    b.interpret.queueEffects(fx, deps, dirty);
    b.interpret.flushDirty(dirty, deps);
  };
};

/** One build's fan-out, ready to run: a fold of CHANGES x SUBSCRIBERS notifies. */
const fanout = (b: Build): (() => void) => {
  const conns = new Map<number, Connection>();
  for (let i = 1; i <= SUBSCRIBERS; i++)
    conns.set(i, new b.stream.StreamConnection(new FakeSocket(10_000 + i) as unknown as Socket, true));
  const deps = depsOf(conns);
  const fx: Effect[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const props = b.compact.compactProps(
      new Map([
        ['name', [`service-${c}`]],
        ['addr', ['tls:10.10.10.10:4711']],
        ['color', ['green']],
      ]),
    );
    const s = {
      id: BigInt(1000 + c),
      generation: 0n,
      props,
      ttl: 3600n,
      clientId: 1n,
      orphanSince: undefined,
    } as unknown as Service;
    for (let i = 1; i <= SUBSCRIBERS; i++)
      fx.push({ type: 'send', conn: i, msg: b.replies.matchNotify(BigInt(i), 'appeared', s) });
  }
  return () => {
    const dirty: interpret.Dirty = new Map();
    b.interpret.queueEffects(fx, deps, dirty);
    b.interpret.flushDirty(dirty, deps);
  };
};

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const main = async (): Promise<void> => {
  const rounds = Number(process.argv[2] ?? 30);
  const other = process.argv[3];
  const runs = (name: string, b: Build): Array<{ name: string; run: () => void; per: number; ns: number[] }> => [
    { name: `${name}, notify`, run: fanout(b), per: CHANGES * SUBSCRIBERS, ns: [] },
    { name: `${name}, reply`, run: replyFold(b), per: REPLIES, ns: [] },
  ];
  const builds = runs('this build', { interpret, replies, compact, stream });
  if (other !== undefined) {
    const lib = (m: string): Promise<unknown> => import(join(resolve(other), 'dist', 'lib', m));
    const b = {
      interpret: (await lib('server/interpret.js')) as typeof interpret,
      replies: (await lib('state/replies.js')) as typeof replies,
      compact: (await lib('filter/compact-props.js')) as typeof compact,
      stream: (await lib('transport/stream-connection.js')) as typeof stream,
    };
    builds.push(...runs(other, b));
  }
  for (let w = 0; w < 50; w++) for (const b of builds) b.run();
  for (let r = 0; r < rounds; r++)
    for (const b of builds) {
      const t0 = cpuNs();
      for (let k = 0; k < FOLDS; k++) b.run();
      b.ns.push((cpuNs() - t0) / (FOLDS * b.per));
    }
  console.log(
    `the shell's part: a fan-out (${CHANGES} changes x ${SUBSCRIBERS} subscribers a fold), CPU ns per notify, and ` +
      `${REPLIES} replies to one connection a fold, CPU ns per reply; median of ${rounds}:`,
  );
  for (const b of builds) console.log(`  ${b.name.padEnd(40)} ${median(b.ns).toFixed(0)}`);
};

void main();
