// ESM consumer of the packed tarball: named imports from every entry point, then the shared work (work.cjs).
import * as rxjs from 'rxjs';
import { createClient, createServer, PafError, toJson } from 'rxpaf';
import * as rxpaf from 'rxpaf';
import * as client from 'rxpaf/client';
import { parseFilter } from 'rxpaf/filter';
import * as filter from 'rxpaf/filter';
import * as replay from 'rxpaf/replay';
import * as server from 'rxpaf/server';

import work from './work.cjs';

for (const x of [createClient, createServer, PafError, toJson, parseFilter])
  if (typeof x !== 'function') throw new Error('missing');
// the ESM face and the CommonJS code are one module: one PafError class for import and require
const { createRequire } = await import('node:module');
if (createRequire(import.meta.url)('rxpaf').PafError !== PafError) throw new Error('two copies of rxpaf');
for (const deep of ['rxpaf/dist/lib/state/model.js', 'rxpaf/dist/esm/index.mjs']) {
  const err = await import(deep).then(
    () => undefined,
    (e) => e,
  );
  if (err?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw new Error(`${deep} should not be importable`);
}
console.log('ok internals not importable');
await work({ rxpaf, client, server, replay, filter, rxjs }, JSON.parse(process.env.CONSUMER_ENV));
console.log('done');
