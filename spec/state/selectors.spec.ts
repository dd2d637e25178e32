import {
  domainCounts,
  handshakedConnections,
  serviceById,
  servicesInOrder,
  subscriptionsInOrder,
} from '../../lib/state/selectors';
import { Domain } from '../helpers/builders';
import type { Service } from '../../lib/state/model';

describe('selectors', () => {
  const build = (): Domain => {
    const d = new Domain();
    d.connect(2, 200).connect(1, 100).accept(3); // conn 3 never says hello
    d.publish(1, 30, 0, { name: ['c'] }, 10)
      .publish(1, 10, 0, { name: ['a'] }, 10)
      .publish(2, 20, 0, { name: ['b'] }, 10);
    d.subscribe(2, 7, '(name=a)').subscribe(1, 5);
    return d;
  };

  it('lists services in insertion order and finds one by id', () => {
    const d = build();
    expect([...servicesInOrder(d.state)].map((s) => s.id)).toEqual([30n, 10n, 20n]);
    expect(serviceById(d.state, 20n)?.clientId).toBe(200n);
    expect(serviceById(d.state, 99n)).toBeUndefined();
  });

  it('lists handshaked connections in handshake order and subscriptions in creation order', () => {
    const d = build();
    expect(handshakedConnections(d.state).map((c) => c.clientId)).toEqual([200n, 100n]);
    expect([...subscriptionsInOrder(d.state)].map((s) => [s.id, s.filterText])).toEqual([
      [7n, '(name=a)'],
      [5n, undefined],
    ]);
  });

  it('counts connections, clients, services and subscriptions', () => {
    const d = build();
    expect(domainCounts(d.state)).toEqual({ connections: 3, clients: 2, services: 3, subscriptions: 2 });
    d.close(1);
    expect(domainCounts(d.state)).toEqual({ connections: 2, clients: 1, services: 3, subscriptions: 1 });
  });

  it('keeps a snapshot iterable after the state moved on (persistent)', () => {
    const d = build();
    const it = servicesInOrder(d.state)[Symbol.iterator]();
    const next = (): Service | undefined => {
      const r = it.next();
      return r.done === true ? undefined : r.value;
    };
    expect(next()?.id).toBe(30n);
    d.unpublish(1, 10).unpublish(1, 30);
    expect(next()?.id).toBe(10n);
    expect(next()?.id).toBe(20n);
    expect(it.next().done).toBe(true);
  });
});
