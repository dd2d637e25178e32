/**
 * `node dist/bench/heap-summary.js <file.heapsnapshot> [top]`: self size and count per object kind of a V8 heap
 * snapshot (node type + constructor or string/code kind), largest first, to see which objects hold the bytes
 * (bench/mem.ts writes the snapshot). Strings are grouped by length bucket, arrays by their owner's edge is not
 * needed here: the `(type) name` pair is what points to the representation at fault.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: heap-summary <file.heapsnapshot> [top]');
const top = Number(process.argv[3] ?? '30');
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const nf = fields.length;
const [iType, iName, iSize] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
const groups = new Map<string, { n: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += nf) {
  const type = types[snap.nodes[i + iType]!]!;
  let name = snap.strings[snap.nodes[i + iName]!]!;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string')
    name = name.length > 24 ? `len ${name.length >= 100 ? '100+' : '24-99'}` : 'len < 24';
  else if (type === 'number' || type === 'bigint' || type === 'hidden') name = '';
  const key = `(${type}) ${name.slice(0, 60)}`;
  const size = snap.nodes[i + iSize]!;
  total += size;
  const g = groups.get(key);
  if (g === undefined) groups.set(key, { n: 1, bytes: size });
  else {
    g.n++;
    g.bytes += size;
  }
}
console.log(`total self size ${(total / 1e6).toFixed(1)} MB`);
for (const [k, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`${(g.bytes / 1e6).toFixed(2).padStart(8)} MB ${String(g.n).padStart(9)}  ${k}`);
