const fs = require('fs');
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';

function load(p) {
  console.log(p);
  JSON.parse(fs.readFileSync(join(p, 'x')));
  return readFile(p);
}
// WANT: node_builtins.load -> fs.readFileSync
// WANT: node_builtins.load -> path.join
// WANT: node_builtins.load -> fs.promises.readFile
