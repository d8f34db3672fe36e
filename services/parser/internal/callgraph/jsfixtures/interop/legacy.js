const esm = require('./esm.mjs');
const { inc } = require('./esm.mjs');
const cmp = require('./cjsfn');

function use() {
  esm.inc(1);
  esm.default();
  cmp(1, 2);
  cmp.loose(1, 2);
  return inc(2);
}
module.exports = use;
// WANT: legacy.use -> esm.inc
// WANT: legacy.use -> esm.main
// WANT: legacy.use -> cjsfn.compare
// WANT: legacy.use -> cjsfn.loose
