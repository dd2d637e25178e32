/**
 * The bystander of the disconnect scenarios, run as a worker thread so that the load generator's own event loop (busy
 * counting thousands of notifications) does not distort its latency. It pings back to back, one in flight, and on
 * 'stop' posts every ping's start and end (ms, comparable across threads via `nowMs`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RawPeer, encodeBatch, nowMs, parseAddr, pingJson } from './wire';

const port = parentPort!;
const { addr, clientId } = workerData as { addr: string; clientId: number };

const main = async (): Promise<void> => {
  const peer = await RawPeer.hello(parseAddr(addr), clientId);
  let starts: number[] = [];
  let ends: number[] = [];
  let running = true;
  let ta = 1;
  port.on('message', (m: string) => {
    if (m === 'reset') {
      starts = [];
      ends = [];
    } else if (m === 'stop') running = false;
  });
  port.postMessage({ ready: true });
  while (running) {
    const ping = encodeBatch(1, () => pingJson(ta++));
    const t = nowMs();
    await peer.send(ping, 1);
    starts.push(t);
    ends.push(nowMs());
  }
  peer.close();
  port.postMessage({ starts, ends });
};

main().catch((e: unknown) => {
  process.stderr.write(`bystander: ${String(e)}\n`);
  process.exit(1);
});
