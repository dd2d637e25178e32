import { Slicer } from '../../lib/http/slicer';

/** A slicer on a manual clock and a manual turn queue. */
const manual = (budgetMs = 3) => {
  let now = 0;
  const turns: Array<() => void> = [];
  const errors: unknown[] = [];
  const slicer = new Slicer({
    budgetMs,
    schedule: (fn) => turns.push(fn),
    clock: () => now,
    onError: (e) => errors.push(e),
  });
  return {
    slicer,
    errors,
    advance: (ms: number) => (now += ms),
    /** Run the next scheduled turn; false when none is scheduled. */
    turn: (): boolean => {
      const fn = turns.shift();
      fn?.();
      return fn !== undefined;
    },
    get scheduled() {
      return turns.length;
    },
  };
};

describe('Slicer', () => {
  it('runs nothing in the current turn', () => {
    const m = manual();
    let ran = 0;
    m.slicer.add(() => (ran++, false));
    expect(ran).toBe(0);
    expect(m.scheduled).toBe(1);
    m.turn();
    expect(ran).toBe(1);
    expect(m.scheduled).toBe(0);
  });

  it('stops a turn once the budget is spent and continues in the next one', () => {
    const m = manual(3);
    const log: string[] = [];
    const task = (name: string, steps: number) => {
      let left = steps;
      return () => {
        log.push(name);
        m.advance(1); // every step costs 1 ms
        return --left > 0;
      };
    };
    m.slicer.add(task('a', 4));
    m.slicer.add(task('b', 2));
    m.turn();
    expect(log).toEqual(['a', 'b', 'a']); // 3 ms budget: three steps, round-robin
    m.turn();
    expect(log).toEqual(['a', 'b', 'a', 'b', 'a', 'a']);
    expect(m.turn()).toBe(false);
  });

  it('always runs at least one step per turn, even a slow one', () => {
    const m = manual(3);
    let ran = 0;
    m.slicer.add(() => (m.advance(10), ++ran < 3));
    m.turn();
    expect(ran).toBe(1);
    m.turn();
    m.turn();
    expect(ran).toBe(3);
    expect(m.turn()).toBe(false);
  });

  it('drops a task whose step throws and keeps the others going', () => {
    const m = manual();
    let b = 0;
    m.slicer.add(() => {
      throw new Error('boom');
    });
    m.slicer.add(() => ++b < 2);
    m.turn();
    expect(m.errors).toEqual([new Error('boom')]);
    expect(b).toBe(2);
    expect(m.slicer.pending).toBe(0);
  });

  it('yields to the event loop between turns with the default scheduler', async () => {
    const slicer = new Slicer({ budgetMs: 0 });
    const order: string[] = [];
    let n = 0;
    const done = new Promise<void>((resolve) =>
      slicer.add(() => {
        order.push(`step${n}`);
        if (++n < 3) return true;
        resolve();
        return false;
      }),
    );
    setImmediate(() => order.push('other'));
    await done;
    expect(order).toEqual(['step0', 'other', 'step1', 'step2']);
  });
});
