import { encodeFrame, FrameSplitter } from '../../lib/transport';

const text = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString());

describe('FrameSplitter', () => {
  it('emits several frames of one chunk in order', () => {
    const chunk = Buffer.concat([
      encodeFrame(Buffer.from('a')),
      encodeFrame(Buffer.from('bc')),
      encodeFrame(Buffer.from('def')),
    ]);
    expect(text(new FrameSplitter().push(chunk).frames)).toEqual(['a', 'bc', 'def']);
  });

  it('reassembles frames split across chunks, including a split header', () => {
    const stream = Buffer.concat([encodeFrame(Buffer.from('hello')), encodeFrame(Buffer.from('world!'))]);
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        const splitter = new FrameSplitter();
        const frames = [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)].flatMap(
          (chunk) => splitter.push(chunk).frames,
        );
        expect(text(frames)).toEqual(['hello', 'world!']);
        expect(splitter.buffered).toBe(0);
      }
    }
  });

  it('feeds byte by byte', () => {
    const splitter = new FrameSplitter();
    const stream = encodeFrame(Buffer.from('xyz'));
    const frames = [...stream].flatMap((byte) => splitter.push(Uint8Array.of(byte)).frames);
    expect(text(frames)).toEqual(['xyz']);
  });

  it('treats a zero-length frame as EOF after the frames before it, ignoring what follows', () => {
    const splitter = new FrameSplitter();
    const chunk = Buffer.concat([encodeFrame(Buffer.from('last')), Buffer.alloc(4), encodeFrame(Buffer.from('x'))]);
    const result = splitter.push(chunk);
    expect(text(result.frames)).toEqual(['last']);
    expect(result.end).toBe('eof');
    expect(splitter.push(encodeFrame(Buffer.from('more'))).frames).toEqual([]);
  });

  it('accepts exactly 262144 bytes and rejects a header announcing more', () => {
    const max = Buffer.alloc(262144, 7);
    const ok = new FrameSplitter().push(encodeFrame(max));
    expect(ok.frames[0]!.length).toBe(262144);
    expect(ok.end).toBeUndefined();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(262145);
    const bad = new FrameSplitter().push(Buffer.concat([encodeFrame(Buffer.from('a')), header]));
    expect(text(bad.frames)).toEqual(['a']);
    expect(bad.end).toBe('oversize');
  });

  it('gives copies by default, views of the chunk on request, the same bytes either way', () => {
    const chunk = Buffer.concat([encodeFrame(Buffer.from('ab')), encodeFrame(Buffer.from('cde'))]);
    const copies = new FrameSplitter().push(chunk).frames;
    const views = new FrameSplitter(262144, false).push(chunk).frames;
    expect(text(copies)).toEqual(['ab', 'cde']);
    expect(text(views)).toEqual(['ab', 'cde']);
    expect(copies.map((f) => f.buffer === chunk.buffer)).toEqual([false, false]);
    expect(views.map((f) => f.buffer === chunk.buffer)).toEqual([true, true]);
    // a frame completed across chunks is whole either way
    const splitter = new FrameSplitter(262144, false);
    expect(splitter.push(chunk.subarray(0, 8)).frames.map((f) => Buffer.from(f).toString())).toEqual(['ab']);
    expect(text(splitter.push(chunk.subarray(8)).frames)).toEqual(['cde']);
  });

  it('encodes a big-endian length header', () => {
    expect([...encodeFrame(Buffer.from('ab'))]).toEqual([0, 0, 0, 2, 0x61, 0x62]);
  });
});
