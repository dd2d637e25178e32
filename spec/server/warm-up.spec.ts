/**
 * The daemon's warm-up of the disconnect and expiry paths (lib/server/warm-up.ts): it really runs a wave (every
 * scratch service orphaned and expired, notifications encoded), in small steps, once, only when armed, and only once
 * a domain holds a service.
 */
import { initialDomainState } from '../../lib/protocol/reducer';
import { WARM_SERVICES, type WarmUpReport, armWarmUp, warmUpSteps, warmUpWhenUsed } from '../../lib/server/warm-up';
import type { DomainState } from '../../lib/state/model';

const T0 = 1_700_000_000.25;

/** Run the generator to its end; the number of steps and the report. */
const runAll = (): { steps: number; report: WarmUpReport } => {
  const g = warmUpSteps(T0);
  for (let steps = 1; ; steps++) {
    const r = g.next();
    if (r.done === true) return { steps, report: r.value };
  }
};

/** The state of a domain that holds one service (only `services.size` is read). */
const holding = (n: number): Pick<DomainState, 'services'> => {
  const s = initialDomainState();
  return { services: n === 0 ? s.services : s.services.set(1n, undefined as never) };
};

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('warm-up', () => {
  it('orphans and expires every scratch service and encodes their notifications, one reducer call per step', () => {
    const { steps, report } = runAll();
    expect(report.services).toBe(WARM_SERVICES);
    // every scratch service was told to the watcher at least when published, orphaned and expired
    expect(report.encoded).toBeGreaterThanOrEqual(3 * WARM_SERVICES);
    // the orphaning and the expiry took `work` slices: more reducer calls than the wave's fixed ones (accepts,
    // hellos, subscribes and publishes, 7 closes, a tick)
    expect(report.folds).toBeGreaterThan(18);
    expect(steps).toBeGreaterThanOrEqual(report.folds);
  });

  it('starts only once armed, at the first state holding a service, and runs once', async () => {
    const done: Array<WarmUpReport | undefined> = [];
    warmUpWhenUsed(
      holding(1),
      () => T0,
      (r) => done.push(r),
    );
    for (let i = 0; i < 40; i++) await tick();
    expect(done).toEqual([]); // not armed
    armWarmUp();
    warmUpWhenUsed(
      holding(0),
      () => T0,
      (r) => done.push(r),
    );
    for (let i = 0; i < 40; i++) await tick();
    expect(done).toEqual([]); // armed, but nothing to orphan yet
    warmUpWhenUsed(
      holding(1),
      () => T0,
      (r) => done.push(r),
    );
    warmUpWhenUsed(
      holding(1),
      () => T0,
      (r) => done.push(r),
    );
    // one step per event-loop turn: not done within the turn that started it
    await tick();
    expect(done).toEqual([]);
    for (let i = 0; i < 200 && done.length === 0; i++) await tick();
    expect(done).toHaveLength(1);
    expect(done[0]?.services).toBe(WARM_SERVICES);
    for (let i = 0; i < 200; i++) await tick();
    expect(done).toHaveLength(1); // once per process
  });
});
