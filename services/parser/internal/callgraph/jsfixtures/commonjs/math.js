exports.add = function (a, b) { return a + b; };
module.exports.twice = (a) => exports.add(a, a);
function hidden() {}
module.exports.run = function () { hidden(); };
// WANT: math.run -> math.hidden
