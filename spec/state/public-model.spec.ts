/** Core service records and directory changes in the public model (lib/model.ts), as the server API shows them. */
import { publicChange, publicService } from '../../lib/state/public-model';
import { Domain, T0 } from '../helpers/builders';

describe('public model of the directory', () => {
  const d = new Domain().connect(1, 1);
  d.publish(1, 10, 3, { name: ['a'], port: [80, '80'] }, 30, 100);
  const live = d.state.services.get(10n)!;
  d.close(1);
  const orphan = d.state.services.get(10n)!;

  it('a service: props as a plain record, ttl as a number, orphan-since only for an orphan', () => {
    expect(publicService(live)).toEqual({
      id: 10n,
      generation: 3n,
      props: { name: ['a'], port: [80n, '80'] },
      ttl: 30,
      clientId: 1n,
    });
    expect('orphanSince' in publicService(live)).toBe(false);
    expect(publicService(orphan)).toMatchObject({ id: 10n, orphanSince: T0 });
  });

  it('converts each immutable record once (the same object for the same record)', () => {
    expect(publicService(live)).toBe(publicService(live));
    expect(publicService(orphan)).not.toBe(publicService(live));
  });

  it('a change: added, modified (with the previous service) and removed', () => {
    expect(publicChange({ kind: 'added', after: live })).toEqual({ type: 'added', service: publicService(live) });
    expect(publicChange({ kind: 'modified', before: live, after: orphan })).toEqual({
      type: 'modified',
      service: publicService(orphan),
      previous: publicService(live),
    });
    expect(publicChange({ kind: 'removed', before: orphan })).toEqual({
      type: 'removed',
      service: publicService(orphan),
    });
  });
});
