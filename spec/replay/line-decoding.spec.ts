/**
 * Reading event-log lines (docs/protocol.md's record format; both schema versions): the fast path for the
 * recorder's own message/out lines must agree with the strict path, and every malformed line is rejected with a
 * reason instead of being misread.
 */
import * as E from 'fp-ts/Either';

import {
  canonicalJson,
  decodeLine,
  encodeEventLine,
  encodeHeaderLine,
  encodeOutLine,
  LOG_VERSION,
  sameJson,
  type LogRecord,
} from '../../lib/replay/event-codec';
import { defaultSettings } from '../../lib/protocol/reducer';
import { wire } from '../helpers/builders';

const ok = (line: string): LogRecord => {
  const r = decodeLine(line);
  if (E.isLeft(r)) throw new Error(`rejected: ${r.left}`);
  return r.right;
};
const reason = (line: string): string => {
  const r = decodeLine(line);
  if (E.isRight(r))
    throw new Error(
      `accepted: ${JSON.stringify(r.right, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  return r.left;
};

const HELLO =
  '{"ta-cmd":"hello","ta-id":1,"msg-type":"request","client-id":7,"protocol-minimum-version":2,"protocol-maximum-version":3}';

describe('event-log lines: message and out records', () => {
  it("decodes the recorder's message line (fast path) like the same record written differently (strict path)", () => {
    const line = encodeEventLine(5, 2, { type: 'message', now: 1.25, conn: 3, msg: wire(HELLO) });
    const fast = ok(line);
    const record = { kind: 'event', seq: 5, d: 2, event: { type: 'message', now: 1.25, conn: 3, msg: wire(HELLO) } };
    // the fast path also keeps the message's text as recorded (replay$ reports it without encoding it again)
    expect(fast).toEqual({ ...record, text: HELLO });
    // extra blanks defeat the fast path's pattern; v1 wraps the body in "e"
    expect(ok(line.replace('"seq":5', '"seq": 5'))).toEqual(record);
    const v1 = `{"v":1,"seq":5,"d":2,"at":1.25,"e":{"type":"message","conn":3,"msg":${HELLO}}}`;
    expect(ok(v1)).toEqual(fast);
    expect(ok(v1.replace('"at":1.25', '"at": 1.25'))).toEqual(record);
  });

  it('domain 0 omits "d"; a large integer time is still a time', () => {
    const line = encodeEventLine(0, 0, { type: 'message', now: 1700000000, conn: 1, msg: wire(HELLO) });
    expect(line).not.toContain('"d"');
    expect(ok(line)).toMatchObject({ d: 0, event: { now: 1700000000 } });
  });

  it('rejects a message line whose numbers are out of range or whose message is not a valid request', () => {
    const big = '9007199254740993';
    expect(reason(`{"seq":${big},"at":1,"type":"message","conn":1,"msg":${HELLO}}`)).toMatch(/seq/);
    expect(reason(`{"seq":1,"at":${big},"type":"message","conn":1,"msg":${HELLO}}`)).toMatch(/at/);
    expect(reason(`{"seq":1,"at":1,"type":"message","conn":${big},"msg":${HELLO}}`)).toMatch(/conn/);
    expect(reason(`{"seq":1,"at":1e999,"type":"message","conn":1,"msg":${HELLO}}`)).toMatch(/at/);
    expect(reason(`{"seq":1,"at":1,"type":"message","conn":1,"msg":{"ta-cmd":"hello"}}`)).toMatch(/^invalid 'msg/);
    expect(reason(`{"seq":1,"at":1,"type":"message","conn":1,"msg":[1]}`)).toMatch(/message is not a JSON object/);
    expect(reason(`{"v":1,"seq":1,"d":0,"at":1,"e":{"type":"message","conn":1,"msg":${HELLO}}`)).toMatch(
      /invalid JSON/,
    );
  });

  it('out lines: both versions, the message text kept as recorded', () => {
    const json = '{"ta-cmd":"ping","ta-id":4,"msg-type":"complete"}';
    expect(ok(encodeOutLine(0, 9, json))).toEqual({ kind: 'out', d: 0, conn: 9, json });
    expect(ok(encodeOutLine(3, 9, json))).toEqual({ kind: 'out', d: 3, conn: 9, json });
    expect(ok(`{"v":1,"kind":"out","d":3,"conn":9,"json":${json}}`)).toEqual({ kind: 'out', d: 3, conn: 9, json });
    // not the recorder's spelling: the strict path re-serializes the message
    expect(ok(`{"out": 9, "msg": {"a": 1}}`)).toEqual({ kind: 'out', d: 0, conn: 9, json: '{"a":1}' });
    expect(ok(`{"v":1,"kind":"out","d":0,"conn":9,"json": {"a" : 2}}`)).toMatchObject({ json: '{"a":2}' });
  });

  it('rejects out lines with a broken message or field', () => {
    expect(reason('{"out":9,"msg":{"a":}}')).toMatch(/^invalid JSON/);
    expect(reason('{"out":9,"msg":[1]}')).toMatch(/^invalid 'msg'/);
    expect(reason('{"out":-1,"msg":{}}')).toMatch(/^invalid 'out'/);
    expect(reason('{"v":1,"kind":"out","d":0,"conn":"x","json":{}}')).toMatch(/^invalid 'conn'/);
  });
});

describe('event-log lines: other records', () => {
  it('reads the header, with and without its optional fields', () => {
    const info = { settings: defaultSettings, seed: 11, now: 100.5 };
    expect(ok(encodeHeaderLine(0, info))).toEqual({
      kind: 'domain',
      d: 0,
      ...info,
      outbound: false,
      rotated: false,
      version: LOG_VERSION,
    });
    expect(ok(encodeHeaderLine(1, { ...info, name: 'prod' }, { outbound: true, rotated: true }))).toEqual({
      kind: 'domain',
      d: 1,
      name: 'prod',
      ...info,
      outbound: true,
      rotated: true,
      version: LOG_VERSION,
    });
  });

  it('reads each event kind of both versions', () => {
    const accepted = {
      type: 'accepted',
      now: 2,
      conn: 1,
      address: 'tcp:1.2.3.4:5',
      user: 'ip:1.2.3.4',
      transport: 'tcp',
    } as const;
    expect(ok(encodeEventLine(1, 0, accepted))).toEqual({ kind: 'event', seq: 1, d: 0, event: accepted });
    expect(
      ok(
        '{"v":1,"seq":1,"d":0,"at":2,"e":{"type":"accepted","conn":1,"address":"tcp:1.2.3.4:5","user":"ip:1.2.3.4","transport":"tcp"}}',
      ),
    ).toEqual({ kind: 'event', seq: 1, d: 0, event: accepted });
    const closing = { type: 'closing', now: 4, conns: [3, 1, 2] } as const;
    expect(encodeEventLine(5, 1, closing)).toBe('{"seq":5,"d":1,"at":4,"type":"closing","conns":[3,1,2]}');
    expect(ok(encodeEventLine(5, 1, closing))).toEqual({ kind: 'event', seq: 5, d: 1, event: closing });
    expect(ok('{"seq":2,"at":3,"type":"tick"}')).toEqual({
      kind: 'event',
      seq: 2,
      d: 0,
      event: { type: 'tick', now: 3 },
    });
  });

  it('rejects lines that are not records, with the reason', () => {
    expect(reason('[1,2]')).toBe('record is not a JSON object');
    expect(reason('nope')).toMatch(/^invalid JSON/);
    expect(reason(`{"v":${LOG_VERSION + 1},"kind":"domain"}`)).toBe(`unsupported schema version ${LOG_VERSION + 1}`);
    expect(reason('{"v":"2"}')).toBe('unsupported schema version "2"');
    expect(reason('{"v":2,"kind":"gossip"}')).toBe('unknown record kind "gossip"');
    expect(reason('{"v":2}')).toBe('invalid record');
    expect(reason('{"v":1,"kind":"gossip"}')).toBe('unknown record kind "gossip"');
    expect(reason('{"at":1}')).toBe('record has neither "seq" nor "out" (nor a schema version)');
    expect(reason('{"seq":1,"at":1,"type":"closed","conn":1,"cause":"boredom"}')).toMatch(/^invalid 'cause'/);
    expect(reason('{"seq":1,"at":1,"type":"closing","conns":[1,-2]}')).toMatch(/^invalid 'conns/);
    expect(reason('{"v":1,"seq":1,"d":0,"at":1,"e":{"type":"teleport"}}')).toMatch(/^invalid 'e'/);
    expect(reason('{"v":2,"kind":"domain","d":0,"seed":1,"now":1,"settings":{}}')).toMatch(/^invalid 'settings/);
  });
});

describe('comparing recorded and replayed messages', () => {
  it('the same values in the same key order are the same message, whatever the spacing', () => {
    expect(sameJson('{"a":1,"b":[2]}', '{ "a": 1, "b": [ 2 ] }')).toBe(true);
    expect(sameJson('{"a":1,"b":2}', '{"b":2,"a":1}')).toBe(false);
    expect(sameJson('{"a":1}', '{"a":2}')).toBe(false);
    expect(canonicalJson('{ "a" : 12345678901234567890 }')).toBe('{"a":12345678901234567890}');
    expect(canonicalJson('not json')).toBe('not json');
  });
});
