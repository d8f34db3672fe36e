'use strict';
const util = require('./util');

exports.parse = function (s) {
  return util.clean(s);
};
module.exports.format = (v) => String(v);
module.exports = function main() {
  return 1;
};
