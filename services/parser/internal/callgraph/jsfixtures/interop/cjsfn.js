function compare(a, b) { return a - b; }
module.exports = compare;
module.exports.loose = function (a, b) { return compare(a, b); };
// WANT: cjsfn.loose -> cjsfn.compare
