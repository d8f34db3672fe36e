// require('..') reads the package.json main; a directory without one
// its index file.
const pm = require('..');
const util = require('../util');

function main(argv) {
  return pm.parse(util.trim(argv[0]));
}
main(process.argv);
// WANT: bin.cli.main -> lib.api.parse
// WANT: bin.cli.main -> util.index.trim
// WANT: bin.cli -> bin.cli.main
