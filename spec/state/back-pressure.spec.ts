/**
 * Back-pressure and the idle timers (§15.3 with §8.3, §8.5): while a connection's output is blocked its idle timer
 * only postpones (no warning, no idle timeout); once the output drains it counts as active again. The handshake
 * timeout still applies to a blocked connection that never said hello.
 */
import { Domain } from '../helpers/builders';
import { projectState } from '../replay/state-projection';

const blocked = (d: Domain, conn: number): Domain => {
  d.step({ type: 'output-blocked', now: d.now, conn });
  return d;
};
const drained = (d: Domain, conn: number): Domain => {
  d.step({ type: 'output-drained', now: d.now, conn });
  return d;
};

describe('output back-pressure and idle timers', () => {
  it('an idle connection is timed out, but not while its output is blocked', () => {
    const free = new Domain({ idleMin: 1, idleMax: 8 }).connect(1, 1).at(30);
    expect(free.closeLog.map(({ conn, reason }) => ({ conn, reason }))).toEqual([{ conn: 1, reason: 'idle timeout' }]);
    expect(free.closeLog[0]!.at).toBeLessThan(12);

    const d = blocked(new Domain({ idleMin: 1, idleMax: 8 }).connect(1, 1).at(0.1), 1).at(120);
    expect(d.isOpen(1)).toBe(true);
    expect(d.closeLog).toEqual([]);
    // drained: active again from now on, so the idle cycle starts over and times the connection out
    drained(d, 1).at(150);
    expect(d.closeLog.map(({ conn, reason }) => ({ conn, reason }))).toEqual([{ conn: 1, reason: 'idle timeout' }]);
    expect(d.closeLog[0]!.at).toBeGreaterThan(120 + 4);
    expect(d.closeLog[0]!.at).toBeLessThan(120 + 12);
  });

  it('a repeated block, a drain without a block and events for unknown connections change nothing', () => {
    const d = blocked(new Domain().connect(1, 1), 1);
    const once = projectState(d.state);
    expect(projectState(blocked(d, 1).state)).toBe(once);
    expect(projectState(blocked(d, 99).state)).toBe(once);
    expect(projectState(drained(d, 99).state)).toBe(once);
    const e = new Domain().connect(1, 1);
    const before = projectState(e.state);
    const effects = e.effects.length;
    expect(projectState(drained(e, 1).state)).toBe(before);
    expect(e.effects.slice(effects)).toEqual([]);
  });

  it('the handshake timeout closes a connection without hello, blocked and drained or not', () => {
    const d = new Domain().accept(1).accept(2).at(0.1);
    blocked(d, 1);
    blocked(d, 2).at(1);
    drained(d, 2).at(5);
    expect(d.closeLog).toEqual([
      { conn: 1, at: 2.5, reason: 'handshake timeout' },
      { conn: 2, at: 2.5, reason: 'handshake timeout' },
    ]);
  });
});
