import { Domain } from '../helpers/builders';

it('runs a publish/subscribe/orphan session', () => {
  const d = new Domain();
  d.connect(1, 100).connect(2, 200);
  expect(d.take(1)).toEqual(['{"ta-cmd":"hello","ta-id":0,"msg-type":"complete","protocol-version":3}']);
  d.take(2);
  d.send(2, '{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":17,"filter":"(name=foo)"}');
  expect(d.take(2)).toEqual(['{"ta-cmd":"subscribe","ta-id":1,"msg-type":"accept"}']);
  d.send(
    1,
    '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":2}',
  );
  expect(d.take(2)).toEqual([
    '{"ta-cmd":"subscribe","ta-id":1,"msg-type":"notify","match-type":"appeared","service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":2,"client-id":100}',
  ]);
  expect(d.take(1)).toEqual(['{"ta-cmd":"publish","ta-id":3,"msg-type":"complete"}']);
  d.at(1).close(1);
  const orphaned = d.takeParsed(2);
  expect(orphaned).toHaveLength(1);
  expect(orphaned[0]!['match-type']).toBe('modified');
  expect(orphaned[0]!['orphan-since']).toBe(1_700_000_001);
  d.at(2.9);
  expect(d.take(2)).toEqual([]);
  d.at(3.0);
  expect(d.take(2)).toEqual([
    '{"ta-cmd":"subscribe","ta-id":1,"msg-type":"notify","match-type":"disappeared","service-id":9}',
  ]);
  expect(d.state.clients.size).toBe(1);
  expect(d.state.used).toEqual({ clients: 1, services: 0, subscriptions: 1 });
});
