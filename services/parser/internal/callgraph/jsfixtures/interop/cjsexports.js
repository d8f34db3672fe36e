exports.clean = function (s) { return s; };
function hidden(s) { return s; }
exports.valid = hidden;
