const api = require('./api');
api.valid('1.0.0');
// WANT: main -> api.valid
