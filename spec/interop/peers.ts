/**
 * The upstream C programs the interop suite runs (tpafd, lpafc), found at `../shared/peers` from the repository
 * root (or from an ancestor of it, for worktrees; or from the local repository a clone was made of), or at
 * `$RXPAF_PEERS`. When they are missing the suite fails
 * with a message saying where it looked: interop is not optional.
 *
 * Helpers: start tpafd (learning the real port of a `tcp:…:0` address from /proc, since tpafd logs only the
 * configured one), and drive lpafc's interactive session line by line.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

/** The folder of this clone's `origin` when it is a local repository (a clone made anywhere on the machine). */
const clonedFrom = (): string | undefined => {
  try {
    const url = execFileSync('git', ['-C', REPO, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim();
    const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
    return isAbsolute(path) && existsSync(path) ? path : undefined;
  } catch {
    return undefined; // not a git checkout, or no origin
  }
};

/** Where the peers are, or an error that says where they were looked for. */
export const findPeers = (): { dir: string } | { error: string } => {
  const tried: string[] = [];
  const env = process.env.RXPAF_PEERS;
  if (env !== undefined && env !== '') {
    if (existsSync(join(env, 'sbin', 'tpafd'))) return { dir: env };
    return { error: `$RXPAF_PEERS=${env} has no sbin/tpafd` };
  }
  // beside this repository or an ancestor of it, then beside the local repository it was cloned from, if any
  for (const root of [REPO, clonedFrom()]) {
    if (root === undefined) continue;
    for (let dir = root; ; dir = dirname(dir)) {
      const candidate = join(dirname(dir), 'shared', 'peers');
      tried.push(candidate);
      if (existsSync(join(candidate, 'sbin', 'tpafd'))) return { dir: candidate };
      if (dirname(dir) === dir) break;
    }
  }
  return {
    error: `the upstream peers (tpafd, lpafc) were not found; looked in ${tried.join(', ')}; set RXPAF_PEERS to the folder holding sbin/tpafd and bin/lpafc`,
  };
};

/** The peers' folder; throws (failing the suite) when they are missing. */
export const peers = (): string => {
  const p = findPeers();
  if ('error' in p) throw new Error(p.error);
  return p.dir;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** TCP ports a process listens on (from /proc: its socket inodes, matched in the network namespace's tables). */
export const listeningPorts = (pid: number): number[] => {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // the fd went away
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
};

/** A running tpafd (the C server; protocol v2 only). */
export class Tpafd {
  private constructor(
    readonly proc: ChildProcess,
    /** The addresses clients use (tcp port 0 resolved). */
    readonly addresses: readonly string[],
    private readonly out: { text: string },
  ) {}

  get log(): string {
    return this.out.text;
  }

  /** Start tpafd serving one domain on `addresses` (ux:…, or tcp:127.0.0.1:0). */
  static async start(addresses: readonly string[]): Promise<Tpafd> {
    const proc = spawn(join(peers(), 'sbin', 'tpafd'), ['-n', '-s', ...addresses], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const out = { text: '' };
    proc.stderr.on('data', (b: Buffer) => (out.text += b.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const deadline = Date.now() + 5000;
    for (;;) {
      const bound = (out.text.match(/Configured domain bound to/g) ?? []).length;
      const tcp = addresses.filter((a) => a.startsWith('tcp:')).length;
      const ports = proc.pid === undefined || proc.exitCode !== null ? [] : listeningPorts(proc.pid);
      if (bound >= addresses.length && ports.length >= tcp) {
        const resolved = [...ports];
        const real = addresses.map((a) => (a.startsWith('tcp:') ? `tcp:127.0.0.1:${resolved.shift()}` : a));
        return new Tpafd(proc, real, out);
      }
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`tpafd ${addresses.join(' ')} did not start: ${out.text}`);
      }
      await sleep(20);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill(signal);
    await exited;
  }
}

/** An interactive lpafc session (libpaf's client CLI), driven line by line over stdin/stdout. */
export class Lpafc {
  private text = '';
  private mark = 0;
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (b: Buffer) => (this.text += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (this.text += b.toString()));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** Start lpafc; its stdout is made line-buffered (stdbuf), or asynchronous output would wait in stdio's buffer. */
  static open(address: string, clientIdHex?: string): Lpafc {
    const args = clientIdHex === undefined ? [address] : ['-i', clientIdHex, address];
    const lpafc = join(peers(), 'bin', 'lpafc');
    return new Lpafc(spawn('stdbuf', ['-oL', '-eL', lpafc, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Everything printed so far. */
  get output(): string {
    return this.text;
  }

  /** Output since the last command was sent. */
  get recent(): string {
    return this.text.slice(this.mark);
  }

  /** Wait until the output since the last command matches `re`; returns that output. */
  async waitFor(re: RegExp, ms = 10000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!re.test(this.recent)) {
      if (Date.now() > deadline || this.proc.exitCode !== null)
        throw new Error(`lpafc: no ${re} within ${ms} ms; output since the command:\n${this.recent}`);
      await sleep(10);
    }
    return this.recent;
  }

  /** Send one command line and wait for `until` (default: `OK.`) in the output that follows. */
  async run(line: string, until: RegExp = /^OK\.$/m): Promise<string> {
    this.mark = this.text.length;
    this.proc.stdin!.write(line + '\n');
    return this.waitFor(until);
  }

  async close(): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.stdin!.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
