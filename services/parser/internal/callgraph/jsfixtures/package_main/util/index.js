exports.trim = function (s) { return s.trim(); };
