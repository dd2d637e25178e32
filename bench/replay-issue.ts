/**
 * The recording of issue 15, made as an operator would: `rxpafd --record <file> --record-outbound` on a random unix
 * socket, one client (the client library, 1,024 requests in flight) publishing `count` services, unpublishing them,
 * then `count` pings; the server is then stopped (SIGTERM) so that the log is complete.
 *
 * @example
 * await recordIssueLog('/tmp/issue.ndjson', 100_000); // { files: ['/tmp/issue.ndjson.1', '/tmp/issue.ndjson'], inputs: 306062, … }
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { createClient } from '../lib/client';

const RXPAFD = join(__dirname, '..', '..', 'bin', 'rxpafd.js');

/**
 * Record the log; `files` are its files in replay order (the recorder rotates the 100,000-service log: two files),
 * `inputs` the number of event lines in them, `secs` how long the live server took.
 */
export const recordIssueLog = async (
  file: string,
  count: number,
): Promise<{ files: string[]; inputs: number; bytes: number; secs: number }> => {
  const addr = `ux:rxpaf-bench-replay-${randomBytes(6).toString('hex')}`;
  const server = spawn(process.execPath, [RXPAFD, '-n', '-l', 'warning', '--record', file, '--record-outbound', addr], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const client = createClient({ addresses: [addr], maxInFlight: 1024 });
  try {
    const t0 = process.hrtime.bigint();
    // the client connects (and retries) on its own; the first request waits for the connection
    const services = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        client.publish({ name: `service-${i}`, address: `tcp:10.1.${(i >> 8) & 255}.${i & 255}:4711` }, { ttl: 60 }),
      ),
    );
    await Promise.all(services.map((s) => s.unpublish()));
    for (let i = 0; i < count; i += 1024)
      await Promise.all(Array.from({ length: Math.min(1024, count - i) }, () => client.ping()));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    await client.close();
    server.kill('SIGTERM');
    await exited;
    // the recorder rotates at its default size (100 MB, `record.max_bytes`): file.N ... file.1, file, oldest first
    const files = [file];
    while (existsSync(`${file}.${files.length}`)) files.unshift(`${file}.${files.length}`);
    let inputs = 0;
    let bytes = 0;
    for (const f of files) {
      bytes += statSync(f).size;
      for await (const l of createInterface({ input: createReadStream(f), crlfDelay: Infinity }))
        if (l.startsWith('{"seq"')) inputs++;
    }
    return { files, inputs, bytes, secs };
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
};
