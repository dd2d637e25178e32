/** §4.4 connection state machine: no-hello, and the transaction-level protocol errors of §3.3 step 9 / §3.5. */
import { Domain, request } from '../helpers/builders';
import { hamtHas } from '../../lib/util/hamt';

const commandsBeforeHello: Array<[string, string]> = [
  ['subscribe', request('subscribe', 3, { 'subscription-id': 1, filter: '(a=b)' })],
  ['subscribe (no filter)', request('subscribe', 3, { 'subscription-id': 1 })],
  ['unsubscribe', request('unsubscribe', 3, { 'subscription-id': 1 })],
  ['subscriptions', request('subscriptions', 3)],
  ['services', request('services', 3)],
  ['services (bad filter)', request('services', 3, { filter: '(' })],
  ['publish', request('publish', 3, { 'service-id': 1, generation: 0, 'service-props': {}, ttl: 1 })],
  ['unpublish', request('unpublish', 3, { 'service-id': 1 })],
  ['ping', request('ping', 3)],
  ['clients', request('clients', 3)],
];

describe('[§4.4] before hello', () => {
  it.each(commandsBeforeHello)('[§4.4] %s before hello → fail no-hello, connection kept', (_name, json) => {
    const d = new Domain();
    d.accept(1);
    const before = d.state;
    d.send(1, json);
    const cmd = (JSON.parse(json) as Record<string, unknown>)['ta-cmd'] as string;
    expect(d.take(1)).toEqual([`{"ta-cmd":"${cmd}","ta-id":3,"msg-type":"fail","fail-reason":"no-hello"}`]);
    expect(d.isOpen(1)).toBe(true);
    expect(d.state.services).toBe(before.services);
    expect(d.state.subscriptions).toBe(before.subscriptions);
    expect(d.state.used).toEqual(before.used);
    expect(d.state.conns.get(1)!.txs.size).toBe(0);
    // the ta-id is not left open: a hello with it still works
    d.hello(1, 5, 2, 3, 3);
    expect(d.take(1)).toEqual(['{"ta-cmd":"hello","ta-id":3,"msg-type":"complete","protocol-version":3}']);
  });

  it.each(commandsBeforeHello)('[§4.4] %s after a failed hello → fail no-hello', (_name, json) => {
    const d = new Domain();
    d.accept(1).hello(1, 5, 4, 5).clear();
    d.send(1, json);
    expect(d.takeParsed(1)).toEqual([expect.objectContaining({ 'msg-type': 'fail', 'fail-reason': 'no-hello' })]);
    expect(d.isOpen(1)).toBe(true);
  });

  it('[§4.4 §5.1] track before hello is an unknown command → connection closed without a reply', () => {
    const d = new Domain();
    d.accept(1).track(1, 1);
    expect(d.take(1)).toEqual([]);
    expect(d.isOpen(1)).toBe(false);
    expect(d.closes()).toEqual([1]);
  });

  it('[§5.1] track on a v2 connection → connection closed, services orphaned', () => {
    const d = new Domain();
    d.connect(1, 7, { max: 2 }).connect(2, 8).subscribe(2, 1).publish(1, 9, 0, {}, 5).clear();
    d.track(1, 1);
    expect(d.isOpen(1)).toBe(false);
    expect(d.take(1)).toEqual([]);
    expect(d.takeParsed(2)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'service-id': 9 })]);
  });

  it('[§5.3] track after a hello that failed after choosing v3 (client-id-exists) → fail no-hello', () => {
    const d = new Domain();
    d.connect(1, 7).accept(2).hello(2, 7).clear();
    d.track(2, 4);
    expect(d.take(2)).toEqual(['{"ta-cmd":"track","ta-id":4,"msg-type":"fail","fail-reason":"no-hello"}']);
    expect(d.isOpen(2)).toBe(true);
  });
});

describe('[§3.3 step 9] transaction-level protocol errors close the connection', () => {
  it('[§3.3] a request reusing the ta-id of an open subscribe → closed, subscription dropped silently', () => {
    const d = new Domain();
    d.connect(1, 7).subscribe(1, 11, undefined, 5).connect(2, 8).subscribe(2, 12).clear();
    d.ping(1, 5);
    expect(d.take(1)).toEqual([]);
    expect(d.isOpen(1)).toBe(false);
    expect(d.state.subscriptions.has(11n)).toBe(false);
    expect(d.state.used.subscriptions).toBe(1);
    expect(d.take(2)).toEqual([]);
  });

  it('[§3.3] a request reusing the ta-id of the open track → closed', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).clear();
    d.req(1, 'clients', 5);
    expect(d.isOpen(1)).toBe(false);
    expect(d.take(1)).toEqual([]);
  });

  it('[§4.3] the ta-id of a completed transaction may be reused', () => {
    const d = new Domain();
    d.connect(1, 7).clear();
    d.ping(1, 5).ping(1, 5).publish(1, 1, 0, {}, 1, 5).unpublish(1, 1, 5).subscribe(1, 3, undefined, 5);
    d.unsubscribe(1, 3, 6).subscribe(1, 3, undefined, 5);
    expect(d.isOpen(1)).toBe(true);
    expect(d.takeParsed(1).map((m) => [m['ta-cmd'], m['msg-type']])).toEqual([
      ['ping', 'complete'],
      ['ping', 'complete'],
      ['publish', 'complete'],
      ['unpublish', 'complete'],
      ['subscribe', 'accept'],
      ['subscribe', 'complete'],
      ['unsubscribe', 'complete'],
      ['subscribe', 'accept'],
    ]);
  });

  it.each([
    ['without any transaction', false, 9],
    ['on a subscribe transaction', true, 9],
    ['on an unused ta-id while track is open', true, 10],
  ])('[§3.3 B5] inform %s → closed', (_name, subscribeFirst, informTa) => {
    const d = new Domain();
    d.connect(1, 7);
    if (subscribeFirst) d.subscribe(1, 1, undefined, 9).track(1, 11);
    d.clear().inform(1, 'query', informTa);
    expect(d.take(1)).toEqual([]);
    expect(d.isOpen(1)).toBe(false);
  });

  it('[§3.3] inform before hello → closed', () => {
    const d = new Domain();
    d.accept(1).inform(1, 'query', 1);
    expect(d.isOpen(1)).toBe(false);
  });

  it('[§5.3 B4] an unsolicited track reply → closed; a solicited one is fine; a second one → closed', () => {
    const d = new Domain({ idleMin: 2, idleMax: 4 });
    d.connect(1, 7).track(1, 5).at(1.5).clear();
    d.inform(1, 'reply', 5);
    expect(d.isOpen(1)).toBe(false);

    const e = new Domain({ idleMin: 2, idleMax: 4 });
    e.connect(1, 7).track(1, 5).at(2.3);
    expect(e.take(1).filter((j) => j.includes('"track-type":"query"'))).toHaveLength(1);
    e.inform(1, 'reply', 5);
    expect(e.isOpen(1)).toBe(true);
    e.inform(1, 'reply', 5);
    expect(e.isOpen(1)).toBe(false);
  });

  it('[§5.3] inform query is answered with a notify reply on the same transaction', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5);
    expect(d.take(1).slice(1)).toEqual(['{"ta-cmd":"track","ta-id":5,"msg-type":"accept"}']);
    d.inform(1, 'query', 5);
    expect(d.take(1)).toEqual(['{"ta-cmd":"track","ta-id":5,"msg-type":"notify","track-type":"reply"}']);
  });

  it('[§5.3] a second track → fail track-exists, the first stays open', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).clear().track(1, 6);
    expect(d.take(1)).toEqual(['{"ta-cmd":"track","ta-id":6,"msg-type":"fail","fail-reason":"track-exists"}']);
    d.inform(1, 'query', 5);
    expect(d.take(1)).toHaveLength(1);
    expect(hamtHas(d.state.conns.get(1)!.txs, 6n)).toBe(false);
  });

  it('[§3.5] a malformed message closes a handshaked connection with disconnect processing', () => {
    const d = new Domain();
    d.connect(1, 7).connect(2, 8).subscribe(2, 1).publish(1, 9, 0, {}, 5).subscribe(1, 2).clear();
    d.malformed(1);
    expect(d.isOpen(1)).toBe(false);
    expect(d.take(1)).toEqual([]);
    expect(d.takeParsed(2)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'service-id': 9 })]);
    expect(d.state.subscriptions.has(2n)).toBe(false);
    expect(d.state.used).toEqual({ clients: 1, services: 1, subscriptions: 1 });
  });
});
