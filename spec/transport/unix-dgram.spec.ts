import { expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixDgramSend } from '../../lib/transport';

/** Python AF_UNIX SOCK_DGRAM receiver (like syslog's /dev/log): prints one datagram. */
const PY_DGRAM = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
print(s.recv(65536).decode(), flush=True)
`;

describe('unixDgramSend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-dgram-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends one datagram to a file-system unix socket', async () => {
    const path = join(dir, 'log');
    const child = spawn('python3', ['-c', PY_DGRAM, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let sent = false;
    const lines = new Promise<string[]>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!sent && out.startsWith('ready\n')) {
          sent = true;
          unixDgramSend(path, '<14>rxpafd: hello');
        }
      });
      child.on('exit', () => resolve(out.trim().split('\n')));
    });
    expect(await lines).toEqual(['ready', '<14>rxpafd: hello']);
  });

  it('throws ENOENT when there is no socket', () => {
    expect(() => unixDgramSend(join(dir, 'missing'), 'x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
