module.exports = function (a) { return module.exports.twice(a); }; // util.lib.default
module.exports.twice = function (x) { return x * 2; }; // util.lib.twice
