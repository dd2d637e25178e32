/**
 * The publishing side of `npm run bench:client`, in its own process so that its memory and CPU do not count for
 * the client under test: publishes `count` services (`bench=sync`, `n=<i>`, and `small=1` for the first 10,000),
 * prints `ready <ms> <cpu-ms>` (wall and this process's CPU time for them all) and keeps them published until stdin
 * closes (`rate <count> <tag>`: the same with `bench=<tag>`, then closes and exits). `churn <rounds> <batch>` publishes
 * and unpublishes `batch` services `rounds` times (`bench=churn`), printing `done` at the end.
 *
 * Usage: node dist/bench/client-publisher.js <addr> populate <count> | rate <count> <tag> | churn <rounds> <batch>
 */
import { createClient } from '../lib/client';

const main = async (): Promise<void> => {
  const [addr, mode, a, b] = process.argv.slice(2);
  const client = createClient({ addresses: [addr!], maxInFlight: 1024 });
  if (mode === 'populate' || mode === 'rate') {
    const count = Number(a);
    const tag = mode === 'rate' ? (b ?? 'rate') : 'sync';
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const all = [];
    for (let i = 0; i < count; i++)
      all.push(
        client.publish(
          i < 10000 && mode === 'populate'
            ? { bench: tag, n: i, small: 1, address: `tcp:10.0.${i >> 8}.${i & 255}:4711` }
            : { bench: tag, n: i, address: `tcp:10.1.${(i >> 8) & 255}.${i & 255}:4711` },
          { ttl: 300 },
        ),
      );
    await Promise.all(all);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`ready ${wall.toFixed(0)} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`);
    if (mode === 'populate') await new Promise<void>((resolve) => process.stdin.on('close', resolve).resume());
  } else if (mode === 'churn') {
    const rounds = Number(a);
    const batch = Number(b);
    for (let r = 0; r < rounds; r++) {
      const hs = await Promise.all(
        Array.from({ length: batch }, (_, i) => client.publish({ bench: 'churn', r, i }, { ttl: 300 })),
      );
      await Promise.all(hs.map((h) => h.unpublish()));
    }
    process.stdout.write('done\n');
  }
  await client.close();
};

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
