/** Resolving a listen/connect host (§2.1): literals as they are, wildcards, DNS names at call time. */
import { resolveHost } from '../../lib/transport/host-resolve';
import { TransportError } from '../../lib/transport/transport-error';

describe('resolveHost', () => {
  it('keeps IP literals and maps the wildcards', async () => {
    await expect(resolveHost({ kind: 'ipv4', address: '10.1.2.3' })).resolves.toBe('10.1.2.3');
    await expect(resolveHost({ kind: 'ipv6', address: '::1' })).resolves.toBe('::1');
    await expect(resolveHost({ kind: 'any4' })).resolves.toBe('0.0.0.0');
    await expect(resolveHost({ kind: 'any6' })).resolves.toBe('::');
  });

  it('resolves a DNS name to its first address', async () => {
    await expect(resolveHost({ kind: 'dns', name: 'localhost' })).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('turns a name that does not resolve into a TransportError (errno ENOENT) naming it', async () => {
    const failure = resolveHost({ kind: 'dns', name: 'no-such-host.invalid' });
    await expect(failure).rejects.toBeInstanceOf(TransportError);
    await expect(failure).rejects.toMatchObject({ code: 'PAF_TRANSPORT', errno: 'ENOENT' });
    await expect(failure).rejects.toThrow(/^unable to resolve "no-such-host\.invalid": /);
  });
});
