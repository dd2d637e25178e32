'use strict';
/**
 * The work every JavaScript consumer of the packed tarball does (spec/package/package.spec.ts), given the modules it
 * loaded its own way (require in cjs.cjs, import in esm.mjs): every entry point, real work against a real rxpafd
 * (tcp: and, through the prebuilt addon, ux:), an in-process server, a replay of the daemon's event log, the
 * filter language, and the consumer's own rxjs interoperating with ours. Prints one `ok <what>` line per check.
 */
const assert = require('node:assert/strict');

const timeout = (p, ms, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref())]);

/** The client API as api.md names it: `matches$(filter)`, `publish()` resolving to the published service. */
const matches$ = (client, filter) => client.matches$(filter);
const publish = (client, props) => client.publish(props);
const serviceOf = (match) => match.service;

module.exports = async function work(m, env) {
  const { rxpaf, client: clientEntry, server: serverEntry, replay: replayEntry, filter: filterEntry, rxjs } = m;
  const { firstValueFrom, filter, map, take, toArray, Observable, of, lastValueFrom } = rxjs;
  const ok = (what) => console.log(`ok ${what}`);

  // entry points: every documented name is there, the same object from every entry point that has it
  for (const name of ['createClient', 'createServer', 'replay$', 'readLines$', 'parseFilter', 'toJson', 'PafError'])
    assert.equal(typeof rxpaf[name], 'function', name);
  assert.equal(clientEntry.createClient, rxpaf.createClient);
  assert.equal(serverEntry.createServer, rxpaf.createServer);
  assert.equal(replayEntry.replay$, rxpaf.replay$);
  assert.equal(filterEntry.parseFilter, rxpaf.parseFilter);
  assert.equal(serverEntry.PafError, rxpaf.PafError);
  assert.equal(filterEntry.PafFilterError, rxpaf.PafFilterError);
  ok('entry points');

  // filter language
  const f = filterEntry.parseFilter(`(&(name=${filterEntry.escapeFilterValue('a*b')})(port>1024))`);
  assert.equal(filterEntry.printFilter(f), '(&(name=a\\*b)(port>1024))');
  assert.equal(filterEntry.matchFilter(f, { name: ['a*b'], port: [4711n] }), true);
  assert.throws(
    () => filterEntry.parseFilter('(x='),
    (e) => e instanceof rxpaf.PafError && e.code === 'PAF_INVALID_FILTER',
  );
  ok('filter');

  // a client against the real rxpafd over tcp: publish, watch, modify, unpublish
  const client = rxpaf.createClient({ addresses: [env.tcp] });
  const services$ = client.services$('(name=consumer)');
  assert.ok(services$ instanceof Observable, "the consumer's rxjs Observable class is ours");
  const svc = await timeout(publish(client, { name: 'consumer', port: 4711 }), 10000, 'publish');
  const seen = await timeout(
    firstValueFrom(
      services$.pipe(
        filter((all) => all.has(svc.id)),
        map((all) => all.get(svc.id)),
      ),
    ),
    10000,
    'services$ shows the published service',
  );
  assert.deepEqual(seen.props, { name: ['consumer'], port: [4711n] });
  const changed = firstValueFrom(matches$(client, '(port=4712)').pipe(filter((x) => x.type === 'appeared')));
  await timeout(svc.modify({ name: 'consumer', port: 4712 }), 10000, 'modify');
  const match = await timeout(changed, 10000, 'matches$ sees the modification');
  assert.equal(serviceOf(match).generation, 1n);
  assert.equal(rxpaf.toJson(serviceOf(match).props), '{"name":["consumer"],"port":[4712]}');
  const gone = firstValueFrom(services$.pipe(filter((all) => !all.has(svc.id))));
  await timeout(svc.unpublish(), 10000, 'unpublish');
  await timeout(gone, 10000, 'services$ drops the unpublished service');
  await assert.rejects(
    svc.modify({ name: 'x' }),
    (e) => e instanceof rxpaf.PafError && e instanceof rxpaf.PafUnpublishedError && e.code === 'PAF_UNPUBLISHED',
  );
  assert.equal(typeof (await client.ping()), 'number');
  await client.close();
  ok('client over tcp');

  // ux: needs the native addon: the prebuilt binary (the consumer's install had no C compiler)
  const uxClient = rxpaf.createClient({ addresses: [env.ux] });
  assert.equal(typeof (await timeout(uxClient.ping(), 10000, 'ping over ux')), 'number');
  await uxClient.close();
  ok('client over ux');

  // an in-process server, watched through its public observables while a client publishes to it
  const server = await serverEntry.createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  const [domain] = server.domains;
  const added = firstValueFrom(domain.changes$.pipe(filter((c) => c.type === 'added')));
  const c2 = clientEntry.createClient({ addresses: [domain.addresses[0]] });
  const p = await publish(c2, { name: 'in-process' });
  const change = await timeout(added, 10000, 'changes$');
  assert.equal(change.service.id, p.id);
  assert.deepEqual(change.service.props, { name: ['in-process'] });
  assert.equal(domain.snapshot().services.length, 1);
  const sets = await firstValueFrom(domain.services$('(name=in-process)').pipe(take(1)));
  assert.ok(sets.has(p.id));
  await c2.close();
  await server.close();
  ok('in-process server');

  // replay the daemon's event log (recorded while this consumer worked)
  const steps = await lastValueFrom(replayEntry.replay$(replayEntry.readLines$([env.log])).pipe(toArray()));
  assert.ok(steps.length > 0, 'replayed steps');
  await assert.rejects(
    lastValueFrom(replayEntry.replay$(of('{ not a log line'))),
    (e) => e instanceof rxpaf.PafError && e.code === 'PAF_REPLAY',
  );
  ok('replay');
};
