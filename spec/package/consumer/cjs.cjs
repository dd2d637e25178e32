'use strict';
// CommonJS consumer of the packed tarball: require() of every entry point, then the shared work (work.cjs).
const work = require('./work.cjs');

const m = {
  rxpaf: require('rxpaf'),
  client: require('rxpaf/client'),
  server: require('rxpaf/server'),
  replay: require('rxpaf/replay'),
  filter: require('rxpaf/filter'),
  rxjs: require('rxjs'),
};
for (const deep of ['rxpaf/dist/lib/state/model.js', 'rxpaf/lib/server/create-server', 'rxpaf/package.json']) {
  try {
    require(deep);
    throw new Error(`${deep} should not be importable`);
  } catch (e) {
    if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
  }
}
console.log('ok internals not importable');
work(m, JSON.parse(process.env.CONSUMER_ENV)).then(
  () => console.log('done'),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
