import { parse, stringify } from './cjsobj.js';
import qs from './cjsobj.js';
import { clean, valid } from './cjsexports.js';
import compare from './cjsfn.js';
import * as ns from './cjsexports.js';

export function run(s) {
  parse(s);
  stringify(s);
  qs.format(s);
  clean(s);
  valid(s);
  ns.clean(s);
  compare.loose(1, 2);
  return compare(1, 2);
}
// WANT: app.run -> cjsobj.parse
// WANT: app.run -> cjsobj.stringify
// WANT: app.run -> cjsobj.format
// WANT: app.run -> cjsexports.clean
// WANT: app.run -> cjsexports.hidden
// WANT: app.run -> cjsfn.compare
// WANT: app.run -> cjsfn.loose
// WANT: cjsobj.stringify -> cjsobj.format
