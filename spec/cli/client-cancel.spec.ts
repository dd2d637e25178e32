/**
 * rxpafc's interactive session reports a subscription that ends while the session goes on, as lpafc does
 * ("Subscription <id> canceled."): after an unsubscribe, and when the link to the server is lost (with the reason);
 * never for the session's own close. In-process against rxpafd, in the human and the JSON format. (Against tpafd,
 * with a restart and the reconnect that follows: spec/interop/tpafd-client.spec.ts.)
 */
import { expect } from '@jest/globals';
import { PassThrough } from 'node:stream';

import { runClientCli } from '../../lib/cli/client-cli';
import { eventually, startDaemon } from '../client/helpers';

const session = (argv: string[]) => {
  const stdin = new PassThrough();
  let out = '';
  const code = runClientCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    stdin,
    env: { PAF_RECONNECT_MIN: '0.01', PAF_RECONNECT_MAX: '0.05' },
  });
  return {
    code,
    get out(): string {
      return out;
    },
    /** Send a line; wait until the output has grown by a match of `re`. */
    run: async (line: string, re: RegExp = /OK\.\n$/): Promise<string> => {
      const from = out.length;
      stdin.write(line + '\n');
      await eventually(() => re.test(out.slice(from)));
      return out.slice(from);
    },
    end: (line: string) => stdin.end(line + '\n'),
  };
};

describe('rxpafc: a subscription that ends during an interactive session is reported canceled', () => {
  it('human format: after unsubscribe, and with the reason when the server goes away; not on quit', async () => {
    const daemon = await startDaemon();
    try {
      const s = session([daemon.addr()]);
      const a = /Subscription Id: (0x[0-9a-f]+)/.exec(await s.run('subscribe (name=a)'))![1]!;
      expect(await s.run(`unsubscribe ${a}`, /canceled\.\n/)).toContain(`Subscription ${a} canceled.\n`);
      const b = /Subscription Id: (0x[0-9a-f]+)/.exec(await s.run('subscribe (name=b)'))![1]!;
      const from = s.out.length;
      await daemon.stop();
      await eventually(() => s.out.slice(from).includes('canceled'));
      expect(s.out.slice(from)).toMatch(
        new RegExp(`^Subscription ${b} canceled \\(.*server closed the connection\\)\\.\\n`),
      );
      s.end('quit');
      expect(await s.code).toBe(0);
      expect(s.out.match(/canceled/g)).toHaveLength(2);
    } finally {
      await daemon.stop('SIGKILL');
    }
  }, 20000);

  it('JSON format: {subscriptionId, canceled: true} (and error when the link is lost)', async () => {
    const daemon = await startDaemon();
    try {
      const s = session(['--json', daemon.addr()]);
      await s.run('subscribe (name=j)');
      const listed = await s.run('subscriptions', /OK\.\n$/);
      const id = BigInt(/"id":(\d+)/.exec(listed)![1]!);
      const canceled = await s.run(`unsubscribe ${id.toString(16)}`, /"canceled":true\}\n/);
      expect(canceled).toContain(`{"subscriptionId":${id},"canceled":true}\n`);
      await s.run('subscribe (name=k)');
      const from = s.out.length;
      await daemon.stop();
      await eventually(() => s.out.slice(from).includes('canceled'));
      expect(s.out.slice(from)).toMatch(/^\{"subscriptionId":\d+,"canceled":true,"error":".+"\}\n/);
      s.end('quit');
      expect(await s.code).toBe(0);
      expect(s.out.match(/canceled/g)).toHaveLength(2);
    } finally {
      await daemon.stop('SIGKILL');
    }
  }, 20000);
});
