/**
 * FrameOutput (lib/transport/frame-output.ts): what a tcp/tls connection queues in a turn, framed (4-byte big-endian
 * length, then the bytes), written as the buffers it was encoded into; and how big those buffers are.
 */
import { FrameOutput } from '../../lib/transport/frame-output';

/** The frames of `payloads` as they must go on the wire. */
const framed = (payloads: ReadonlyArray<string | Uint8Array>): Buffer =>
  Buffer.concat(
    payloads.flatMap((p) => {
      const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(bytes.length);
      return [head, bytes];
    }),
  );

describe('FrameOutput', () => {
  it('frames strings (UTF-8), bytes and joined messages in order, over several buffers in a big turn', () => {
    const o = new FrameOutput();
    const sent: Array<string | Uint8Array> = [];
    for (let i = 0; i < 2_000; i++) {
      const m = i % 3 === 0 ? `{"n":${i},"s":"äö€${'x'.repeat(i % 200)}"}` : Buffer.from(`{"b":${i}}`);
      o.send(m);
      sent.push(m);
    }
    o.sendJoined('{"head":', Buffer.from('"rest"}'));
    sent.push('{"head":"rest"}');
    expect(o.queued).toBe(2_001);
    const buffers = o.take();
    expect(buffers.length).toBeGreaterThan(1);
    expect(Buffer.concat(buffers).equals(framed(sent))).toBe(true);
    expect(o.queued).toBe(0);
    expect(o.queuedBytes).toBe(0);
  });

  it("a turn's first buffer after a big turn is a slice of Node's shared pool, not a buffer of its own", () => {
    // 1,000 connections whose last flush was big (initial listings), each told one small notification in one turn
    // (a mass kill's orphaning): that turn must not allocate 1,000 buffers of 64 KiB (64 MB of ArrayBuffers, which
    // V8 answers with collections in the same turn)
    const outputs = Array.from({ length: 1_000 }, () => new FrameOutput());
    for (const o of outputs) {
      for (let i = 0; i < 1_000; i++) o.send(`{"service-id":${i},"props":{"name":["a-fairly-long-service-name"]}}`);
      expect(o.take().length).toBeGreaterThan(1);
    }
    const asked: number[] = [];
    const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
    const spy = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => {
      asked.push(n);
      return allocUnsafe(n);
    });
    try {
      for (const o of outputs) {
        o.send('{"match-type":"modified","service-id":1}');
        const [b, ...rest] = o.take();
        expect(rest).toEqual([]);
        expect(b!.toString('utf8', 4)).toBe('{"match-type":"modified","service-id":1}');
        expect(b!.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
      }
    } finally {
      spy.mockRestore();
    }
    expect(asked).toHaveLength(1_000);
    // allocUnsafe takes a slice of the pool below half its size
    expect(Math.max(...asked)).toBeLessThan(Buffer.poolSize >>> 1);
  });

  it('a big message still gets a buffer of its size, and no buffer holds much more than it carries', () => {
    const o = new FrameOutput();
    const big = 'z'.repeat(200_000);
    o.send('a');
    o.send(big);
    o.send('b');
    const buffers = o.take();
    expect(Buffer.concat(buffers).equals(framed(['a', big, 'b']))).toBe(true);
    for (const b of buffers)
      expect(b.buffer.byteLength).toBeLessThanOrEqual(Math.max(Buffer.poolSize, 3 * b.length + 4096));
  });
});
