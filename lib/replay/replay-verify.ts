/**
 * `rxpaf-replay --verify`: checks that replaying a log sends exactly the messages the live server sent (recorded
 * with `outbound: true`), per connection and in order. A log that starts from a state snapshot (a rotated file)
 * is checked from there: the messages sent before the snapshot are not in it. Messages are compared as canonical JSON (same values, same
 * key order). The first divergence names the replayed event (seq, line), the connection, and both messages.
 *
 * @example
 * const v = new Verifier();
 * for (const item of replayItems(lines)) v.add(item);
 * const d = v.finish(); // undefined if every recorded message was reproduced
 */
import { encodeMessage } from '../codec/encode';
import { canonicalJson } from './event-codec';
import type { ReplayItem } from './replay-core';

export interface Divergence {
  readonly domain: number;
  readonly conn: number;
  /** The replayed event that sent `actual` (undefined if nothing was replayed for the recorded message). */
  readonly seq?: number;
  /** Line of the recorded message (or of the replayed event if nothing was recorded). */
  readonly line: number;
  readonly expected?: string;
  readonly actual?: string;
}

interface Sent {
  readonly json: string;
  readonly line: number;
  readonly seq?: number;
}

export class Verifier {
  /** Messages matched so far. */
  matched = 0;
  /** Whether every domain header said outbound messages were recorded. */
  recorded = true;
  private divergence: Divergence | undefined;
  private readonly expected = new Map<string, Sent[]>();
  private readonly actual = new Map<string, Sent[]>();

  /** Feed one replay item; returns the first divergence once there is one. */
  add(item: ReplayItem): Divergence | undefined {
    if (this.divergence !== undefined) return this.divergence;
    if (item.kind === 'domain') {
      if (!item.header.outbound) this.recorded = false;
    } else if (item.kind === 'out') {
      this.push(this.expected, `${item.out.d}:${item.out.conn}`, { json: item.out.json, line: item.line });
    } else if (item.kind === 'step') {
      const { step } = item;
      for (const f of step.delivered)
        this.push(this.actual, `${step.domain}:${f.conn}`, {
          json: canonicalJson(encodeMessage(f.msg)),
          line: step.line,
          seq: step.seq,
        });
    }
    return this.divergence;
  }

  /** The first mismatch so far (messages not yet matched are not divergences yet). */
  first(): Divergence | undefined {
    return this.divergence;
  }

  /** The first divergence, including messages left unmatched at the end of the log. */
  finish(): Divergence | undefined {
    if (this.divergence !== undefined) return this.divergence;
    const left: Divergence[] = [];
    for (const [key, q] of this.expected) if (q.length > 0) left.push(this.diverge(key, q[0], undefined));
    for (const [key, q] of this.actual) if (q.length > 0) left.push(this.diverge(key, undefined, q[0]));
    left.sort((a, b) => a.line - b.line);
    return (this.divergence = left[0]);
  }

  private push(queues: Map<string, Sent[]>, key: string, s: Sent): void {
    let q = queues.get(key);
    if (q === undefined) queues.set(key, (q = []));
    q.push(s);
    const e = this.expected.get(key);
    const a = this.actual.get(key);
    while (e !== undefined && a !== undefined && e.length > 0 && a.length > 0) {
      const x = e.shift()!;
      const y = a.shift()!;
      if (x.json !== y.json) {
        this.divergence = this.diverge(key, x, y);
        return;
      }
      this.matched++;
    }
  }

  private diverge(key: string, x: Sent | undefined, y: Sent | undefined): Divergence {
    const [domain, conn] = key.split(':').map(Number) as [number, number];
    return {
      domain,
      conn,
      ...(y?.seq !== undefined ? { seq: y.seq } : {}),
      line: x?.line ?? y!.line,
      ...(x !== undefined ? { expected: x.json } : {}),
      ...(y !== undefined ? { actual: y.json } : {}),
    };
  }
}
