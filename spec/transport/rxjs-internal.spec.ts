/**
 * rxjs's internal modules loaded by file name (lib/transport/rxjs-internal.ts, idle RSS): the same module instances
 * as `rxjs` gives (values and classes mix), the mapping of rxjs's own package.json applied, anything else left to
 * Node's resolution; and a daemon that loads rxjs that way never loads Node's ESM resolver.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as rxjs from 'rxjs';

import type * as ObservableModule from 'rxjs/internal/Observable';
import type * as MapModule from 'rxjs/internal/operators/map';

import { internalFile, rxjsInternal } from '../../lib/transport/rxjs-internal';

describe('rxjsInternal', () => {
  it("gives the very classes and functions `rxjs` exports, from rxjs's CommonJS files", () => {
    const { Observable } = rxjsInternal<typeof ObservableModule>('Observable');
    expect(Observable).toBe(rxjs.Observable);
    expect(rxjsInternal<typeof MapModule>('operators/map').map).toBe(rxjs.map);
    expect(rxjs.of(1)).toBeInstanceOf(Observable);
  });

  it("applies the node (else require) condition of rxjs's `./internal/*`, and nothing of another shape", () => {
    const cjs = { node: './dist/cjs/internal/*.js', require: './dist/x/*.js', default: './dist/esm5/internal/*.js' };
    expect(internalFile('/r', { exports: { './internal/*': cjs } }, 'operators/map')).toBe(
      '/r/dist/cjs/internal/operators/map.js',
    );
    expect(internalFile('/r', { exports: { './internal/*': { require: './x/*.js' } } }, 'a')).toBe('/r/x/a.js');
    expect(internalFile('/r', { exports: { './internal/*': './s/*.cjs' } }, 'a')).toBe('/r/s/a.cjs');
    expect(internalFile('/r', { exports: { './internal/*': { import: './x/*.mjs' } } }, 'a')).toBeUndefined();
    expect(internalFile('/r', { exports: { './internal/*': '../x/*.js' } }, 'a')).toBeUndefined();
    expect(internalFile('/r', { exports: { './internal/*': './x/*/*.js' } }, 'a')).toBeUndefined();
    expect(internalFile('/r', { exports: {} }, 'a')).toBeUndefined();
    expect(internalFile('/r', {}, 'a')).toBeUndefined();
    expect(internalFile('/r', null, 'a')).toBeUndefined();
  });

  it("keeps a daemon's shell from loading Node's ESM resolver (the built lib/server, in a process of its own)", async () => {
    const root = join(__dirname, '..', '..');
    const probe = (specifier: string): Promise<boolean> =>
      new Promise((resolve, reject) =>
        execFile(
          process.execPath,
          [
            '-e',
            `require(${JSON.stringify(specifier)});` +
              "process.stdout.write(String(process.moduleLoadList.includes('NativeModule internal/modules/esm/resolve')))",
          ],
          { cwd: root },
          (e, out) => (e === null ? resolve(out === 'true') : reject(new Error(e.message))),
        ),
      );
    // the control: a bare rxjs specifier loads it
    expect(await probe('rxjs/internal/Observable')).toBe(true);
    expect(await probe(join(root, 'dist', 'lib', 'server', 'create-server.js'))).toBe(false);
  });
});
