/**
 * §11.5: a failure inside a domain's pipeline stops the daemon in order: the clients of that domain see their
 * connection closed, and rxpafd exits with status 1 and the reason on stderr. The failure is injected with the
 * documented test hook `RXPAF_FAILPOINT=pipeline` (the pipeline throws on the first batch that holds a message).
 */
import { Daemon, helloMsg, killAllDaemons } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

jest.setTimeout(30000);

afterEach(killAllDaemons);

describe('rxpafd when a domain pipeline fails', () => {
  it('closes the clients, then exits 1 with the reason on stderr', async () => {
    const d = await Daemon.start(['-m', 'tcp:127.0.0.1:0', '-m', 'tcp:127.0.0.1:0'], {
      domains: 2,
      env: { RXPAF_FAILPOINT: 'pipeline' },
    });
    const bystander = await RawClient.open(d.addr(1));
    const victim = await RawClient.open(d.addr(0));
    await d.waitForStderr(/(accepted connection[^]*){2}/);
    victim.send(helloMsg(7));
    await victim.waitClosed();
    await bystander.waitClosed(); // the daemon stops every domain, in order
    const exit = await d.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/CRITICAL internal domain pipeline failed .*RXPAF_FAILPOINT=pipeline/);
    expect(exit.stderr).toMatch(/shutting down/);
  });

  it('is off without the failpoint: the same traffic is served', async () => {
    const d = await Daemon.start(['-m', 'tcp:127.0.0.1:0']);
    const c = await RawClient.open(d.addr(0));
    c.send(helloMsg(7));
    expect(await c.next()).toMatchObject({ 'msg-type': 'complete' });
    c.close();
    expect((await d.stop()).code).toBe(0);
  });
});
