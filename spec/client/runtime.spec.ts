/**
 * The shell's safety net: if the pipeline itself fails (a bug), the client does not die silently or crash the
 * program with an unhandled error: every Observable ends with a PafClosedError carrying the cause, every pending
 * request is rejected with it, connections are closed and close() resolves.
 */
import { expect } from '@jest/globals';
import { defer, of, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import type { ClientEnv } from '../../lib/client/adapter';
import { clientInternals, startClient } from '../../lib/client/client';
import { PafClosedError } from '../../lib/errors';
import { FakeNet } from './virtual-net';

describe('client runtime', () => {
  it('ends everything with a PafClosedError (with the cause) when the pipeline fails', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    const boom = new Error('clock broke');
    let broken = false;
    let closedResolved = false;
    let pingError: unknown;
    ts.run(({ expectObservable }) => {
      const net = new FakeNet(ts);
      // a clock that fails at 100 ms: the shell stamps every batch with it
      const scheduler: SchedulerLike = {
        now: () => {
          if (broken) throw boom;
          return ts.now();
        },
        schedule: ts.schedule.bind(ts),
      };
      let id = 1n;
      const env: ClientEnv = {
        scheduler,
        turn: ts,
        nextTurn: (fn) => void ts.schedule(fn),
        random: () => 0.5,
        randomId: () => id++,
        connect: net.connect,
        readFile: () => of(undefined),
        env: {},
      };
      const client = startClient({ addresses: ['tcp:127.0.0.1:1'] }, env);
      const failure = expect.objectContaining({ code: 'PAF_CLOSED', cause: boom });
      expectObservable(client.matches$('(a=b)')).toBe('100ms #', undefined, failure);
      expectObservable(
        defer(() => clientInternals(client).transact('ping', {})),
        '50ms ^',
      ).toBe('50ms (c|)', { c: expect.anything() });
      ts.schedule(() => {
        broken = true;
        clientInternals(client)
          .transact('ping', {})
          .subscribe({ error: (e: unknown) => (pingError = e) });
      }, 100);
      ts.schedule(() => void client.close().then(() => (closedResolved = true)), 200);
      expect(net.server('tcp:127.0.0.1:1')).toBeDefined();
    });
    expect(pingError).toBeInstanceOf(PafClosedError);
    return Promise.resolve().then(() => expect(closedResolved).toBe(true));
  });
});
