function parse(s) { return s; }
function format(s) { return s; }
module.exports = { parse: parse, format, stringify: function (v) { return format(v); } };
