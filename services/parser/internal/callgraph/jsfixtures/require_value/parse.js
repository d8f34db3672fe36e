module.exports = function (s) { return clean(s); };
function clean(s) { return s; }
// WANT: parse.default -> parse.clean
