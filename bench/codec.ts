/**
 * `node dist/bench/codec.js`: the wire codec alone on the hot messages of the server benchmark (decode of ping,
 * publish, hello as bytes; encode of the replies and of a notification). Prints CPU ns per message (process CPU time,
 * less disturbed than wall time by other work on a shared machine), median of 7 rounds;
 * `decode (general path)` is the path every message took before the fast path (lib/codec/fast.ts).
 */
import { decodeClientMessage, decodeGeneral } from '../lib/codec/decode';
import { encodeMessage } from '../lib/codec/encode';
import { makeProps } from '../lib/codec/primitives';

const enc = new TextEncoder();
const inputs: Record<string, Uint8Array> = {
  ping: enc.encode('{"ta-cmd":"ping","ta-id":123456,"msg-type":"request"}'),
  publish: enc.encode(
    '{"ta-cmd":"publish","ta-id":1234,"msg-type":"request","service-id":4711,"generation":0,"service-props":{"name":["service-4711"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":3600}',
  ),
  hello: enc.encode(
    '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":10042,"protocol-minimum-version":2,"protocol-maximum-version":2}',
  ),
};
const props = makeProps([
  ['name', ['service-4711']],
  ['addr', ['tls:10.10.10.10:4711']],
  ['color', ['green']],
]);
const outputs: Record<string, object> = {
  'ping complete': { 'ta-cmd': 'ping', 'ta-id': 123456n, 'msg-type': 'complete' },
  'hello complete': { 'ta-cmd': 'hello', 'ta-id': 0n, 'msg-type': 'complete', 'protocol-version': 2n },
  'subscribe notify (appeared)': {
    'ta-cmd': 'subscribe',
    'ta-id': 17n,
    'msg-type': 'notify',
    'match-type': 'appeared',
    'service-id': 4711n,
    generation: 0n,
    'service-props': props,
    ttl: 3600n,
    'client-id': 1n,
  },
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
let sink = 0;
const time = (f: () => unknown, n = 200_000): number => {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) if (f() !== undefined) sink++;
    const d = process.cpuUsage(t);
    rounds.push(((d.user + d.system) * 1000) / n);
  }
  return median(rounds);
};

for (const [name, bytes] of Object.entries(inputs)) {
  const general = time(() => decodeGeneral(bytes));
  const fast = time(() => decodeClientMessage(bytes));
  console.log(
    `decode ${name.padEnd(28)} ${fast.toFixed(0).padStart(6)} ns   (general path ${general.toFixed(0)} ns, ${(general / fast).toFixed(1)}×)`,
  );
}
for (const [name, m] of Object.entries(outputs))
  console.log(
    `encode ${name.padEnd(28)} ${time(() => encodeMessage(m))
      .toFixed(0)
      .padStart(6)} ns`,
  );
if (sink < 0) console.log(sink);
