/**
 * Histories of one service or one client through a replay (`rxpaf-replay --service <id>` / `--client <id>`): every
 * change with the event that caused it (sequence number, time, connection).
 *
 * A service's history is its directory changes (published, modified, orphaned, reclaimed, expired, unpublished). A
 * client's history is its connections (connected, reconnected, disconnected, gone) and the changes of the services
 * it owned.
 *
 * @example
 * const h = new History({ service: 42n });
 * for (const step of replayLines(lines)) h.add(step);
 * process.stdout.write(h.render());
 */
import type { Event } from '../state/events';
import type { Client } from '../state/model';
import type { ReplayStep } from './replay-core';
import { isoTime, table } from './replay-directory';
import { classifyChange } from './replay-summary';

/** One entry of a history. */
export interface HistoryEntry {
  readonly seq: number;
  readonly at: number;
  readonly domain: number;
  readonly cause: string;
  readonly what: string;
  readonly details: string;
}

/** How an event reads as a cause. */
export const describeEvent = (e: Event): string => {
  switch (e.type) {
    case 'accepted':
      return `conn ${e.conn} accepted from ${e.address}`;
    case 'message':
      return `conn ${e.conn} ${e.msg['ta-cmd']} ${e.msg['msg-type']} (ta ${e.msg['ta-id']})`;
    case 'malformed':
      return `conn ${e.conn} malformed message`;
    case 'closed':
      return `conn ${e.conn} closed (${e.cause})`;
    case 'closing':
      return `conns ${e.conns.join(', ')} closing`;
    case 'output-blocked':
      return `conn ${e.conn} output blocked`;
    case 'output-drained':
      return `conn ${e.conn} output drained`;
    case 'tick':
      return 'timer';
    case 'work':
      return 'sliced work';
  }
};

const clientEntries = (before: Client | undefined, after: Client | undefined): string[] => {
  if (before === after) return [];
  if (before === undefined) return [`connected on conn ${after!.active ?? '-'}`];
  if (after === undefined) return ['gone'];
  if (before.active !== after.active) {
    if (after.active === undefined) return [`disconnected from conn ${before.active}`];
    return [before.active === undefined ? `reconnected on conn ${after.active}` : `moved to conn ${after.active}`];
  }
  return [];
};

/** Collects the history of a service or a client. */
export class History {
  readonly entries: HistoryEntry[] = [];

  constructor(readonly target: { readonly service: bigint } | { readonly client: bigint }) {}

  add(step: ReplayStep): void {
    const base = { seq: step.seq, at: step.at, domain: step.domain, cause: describeEvent(step.event) };
    if ('client' in this.target) {
      const id = this.target.client;
      for (const what of clientEntries(step.prev.clients.get(id), step.state.clients.get(id)))
        this.entries.push({ ...base, what, details: '' });
    }
    for (const c of step.changes) {
      const svc = c.kind === 'removed' ? c.before : c.after;
      const t = this.target;
      const owners = c.kind === 'modified' ? [c.before.clientId, c.after.clientId] : [svc.clientId];
      if ('service' in t ? svc.id !== t.service : !owners.includes(t.client)) continue;
      const kind = classifyChange(c);
      const details = [
        'client' in this.target ? `service ${svc.id}` : `client ${svc.clientId}`,
        `gen ${svc.generation}`,
        kind === 'orphaned' && svc.orphanSince !== undefined ? `orphan since ${isoTime(svc.orphanSince)}` : '',
        kind === 'expired' && c.kind === 'removed'
          ? `orphan for ${(step.at - c.before.orphanSince!).toFixed(3)} s`
          : '',
        kind === 'published' || kind === 'modified' ? `ttl ${svc.ttl}` : '',
      ];
      this.entries.push({ ...base, what: kind, details: details.filter((x) => x !== '').join(', ') });
    }
  }

  render(): string {
    const name = 'service' in this.target ? `service ${this.target.service}` : `client ${this.target.client}`;
    if (this.entries.length === 0) return `${name}: no history in this log\n`;
    const rows = this.entries.map((e) => [String(e.seq), isoTime(e.at), String(e.domain), e.what, e.cause, e.details]);
    return `${name}: ${this.entries.length} entries\n${table([['seq', 'time', 'domain', 'what', 'cause', 'details'], ...rows])}\n`;
  }
}
