/**
 * The floor of the mass-kill bystander figure on this machine, without rxpaf (issue 13): what a bystander's worst
 * round trip is around the SIGKILL of client processes when the server does nothing but echo.
 *
 * The strict mass-kill spec (spec/faults/mass-kill.spec.ts) kills 4 processes of ~50 MB holding 250 tcp connections
 * each, and asks that a bystander's worst ping stay under 50 ms. Part of that wait is not the server's: the kernel
 * tears the killed processes down (their memory, their sockets: FINs over loopback) on the same cores that the server
 * and the bystander need. This program runs the same shape against a trivial echo server (its own process) and
 * prints the bystander's worst round trip before and around the kill, and how long the children took to exit.
 *
 *   node dist/bench/kill-floor.js [--mb 50] [--runs 5] [--procs 4] [--conns 250]
 *
 * Figures only (a benchmark, not a test); loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

interface Options {
  mb: number;
  runs: number;
  procs: number;
  conns: number;
}

const parse = (argv: readonly string[]): Options => {
  const o: Options = { mb: 50, runs: 5, procs: 4, conns: 250 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    const v = Number(argv[i + 1]);
    if (!(k in o) || !(v > 0)) throw new Error(`usage: kill-floor [--mb N] [--runs N] [--procs N] [--conns N]`);
    o[k as keyof Options] = v;
  }
  return o;
};

/** An echo server: prints its port, echoes every byte. */
const SERVER = `const s=require('node:net').createServer((c)=>{c.on('data',(d)=>c.write(d));c.on('error',()=>{})});
s.listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'));`;

/** A child: mb MB of heap (buffers and small objects, as a client library's state) and conns connections. */
const CHILD = `const net=require('node:net');const [port,mb,conns]=process.argv.slice(1).map(Number);const keep=[];
for(let i=0;i<mb/2;i++)keep.push(Buffer.alloc(1<<20,1));for(let i=0;i<mb*5000;i++)keep.push({i,s:'x'+i});
let n=0;for(let i=0;i<conns;i++){const c=net.connect(port,'127.0.0.1',()=>{if(++n===conns)process.stdout.write('ready\\n')});
c.on('error',()=>{})}`;

/** The bystander: a ping (one byte) every 5 ms; on stdin, prints [sent at (epoch ms), round trip ms][] and exits. */
const PINGER = `const c=require('node:net').connect(Number(process.argv[1]),'127.0.0.1');c.setNoDelay(true);let t=0;const rt=[];
const go=()=>{t=performance.now();c.write('p')};c.on('data',()=>{const now=performance.now();
rt.push([t+performance.timeOrigin,now-t]);setTimeout(go,5)});c.on('connect',go);
process.stdin.on('data',()=>{process.stdout.write(JSON.stringify(rt),()=>process.exit(0))});`;

const node = (code: string, args: ReadonlyArray<string | number>): ChildProcess =>
  spawn(process.execPath, ['-e', code, ...args.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });

const firstLine = (p: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    p.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    p.once('exit', (code) => reject(new Error(`a child exited (${code}) before it was ready`)));
  });

const exited = (p: ChildProcess): Promise<void> => new Promise((resolve) => p.once('exit', () => resolve()));
const now = (): number => performance.timeOrigin + performance.now();

const run = async (o: Options): Promise<{ exitMs: number; before: number; around: number }> => {
  const server = node(SERVER, []);
  const port = Number(await firstLine(server));
  const kids: ChildProcess[] = [];
  for (let k = 0; k < o.procs; k++) {
    const c = node(CHILD, [port, o.mb, o.conns]);
    kids.push(c);
    await firstLine(c);
  }
  const pinger = node(PINGER, [port]);
  let out = '';
  pinger.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await sleep(1500);
  const killAt = now();
  for (const c of kids) c.kill('SIGKILL');
  await Promise.all(kids.map(exited));
  const exitMs = now() - killAt;
  await sleep(1000);
  pinger.stdin!.write('report\n');
  await exited(pinger);
  server.kill();
  const rt = JSON.parse(out) as Array<[number, number]>;
  const worst = (from: number, to: number): number =>
    Math.max(0, ...rt.filter(([s]) => s >= from && s < to).map(([, ms]) => ms));
  return { exitMs, before: worst(0, killAt - 100), around: worst(killAt - 10, killAt + 300) };
};

const main = async (): Promise<void> => {
  const o = parse(process.argv.slice(2));
  console.log(
    `kill floor: ${o.procs} processes of ~${o.mb} MB with ${o.conns} connections each to an echo server, SIGKILLed ` +
      `at once; a bystander pings every 5 ms (worst round trip before the kill / from 10 ms before to 300 ms after)`,
  );
  const around: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await run(o);
    around.push(r.around);
    console.log(
      `run ${i + 1}: children exited in ${r.exitMs.toFixed(0)} ms; worst ping before ${r.before.toFixed(1)} ms, ` +
        `around the kill ${r.around.toFixed(1)} ms`,
    );
  }
  const sorted = [...around].sort((a, b) => a - b);
  console.log(
    `around the kill: min ${sorted[0]!.toFixed(1)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ` +
      `max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
  );
};

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
