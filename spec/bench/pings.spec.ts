/**
 * The bystander's pings during a disconnect wave (bench/pings.ts): those in flight at some moment of the wave, or, when
 * the bystander had none in flight (not scheduled: the CI smoke's waves last a few ms), the first one sent after it
 * began, so that the scenario's ping figures are always measured.
 */
import { pingsDuring } from '../../bench/pings';

describe('pingsDuring', () => {
  it('takes the pings in flight at some moment of the wave, sorted', () => {
    // pings [0,2] [2,9] [9,10] [10,11] [20,21]; the wave is [5,10]
    const r = pingsDuring([0, 2, 9, 10, 20], [2, 9, 10, 11, 21], 5, 10);
    expect(r).toEqual({ rtts: [1, 1, 7], inFlight: 3 });
  });

  it('takes the first ping sent after the wave began when none was in flight during it', () => {
    // the bystander was not scheduled from 3 to 12: nothing in flight during the wave [5,8]
    const r = pingsDuring([0, 12, 14], [3, 14, 15], 5, 8);
    expect(r).toEqual({ rtts: [2], inFlight: 0 });
  });

  it('has nothing to show when no ping was sent after the wave began', () => {
    expect(pingsDuring([0], [3], 5, 8)).toEqual({ rtts: [], inFlight: 0 });
  });
});
