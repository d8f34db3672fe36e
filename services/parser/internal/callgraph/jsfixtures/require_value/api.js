const parse = require('./parse');
const SemVer = require('./semver');

const cmp = (a, b) => new SemVer(parse(a)).compare(b);
module.exports = { cmp, valid(v) { return parse(v); } };
// WANT: api.cmp -> parse.default
// WANT: api.cmp -> semver.SemVer.constructor
// WANT: api.cmp -> semver.SemVer.compare
// WANT: api.valid -> parse.default
