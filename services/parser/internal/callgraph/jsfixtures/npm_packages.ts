import _ from 'lodash';
import { x } from 'pkg/sub';
import { fn } from '@scope/pkg';
import * as R from 'ramda';
import chalk from 'chalk';
const axios = require('axios');

export function use() {
  _.get({}, 'a');
  x();
  fn();
  R.map(String, []);
  chalk('hi');
  axios.get('/');
}
// WANT: npm_packages.use -> lodash.get
// WANT: npm_packages.use -> pkg.sub.x
// WANT: npm_packages.use -> @scope/pkg.fn
// WANT: npm_packages.use -> ramda.map
// WANT: npm_packages.use -> chalk
// WANT: npm_packages.use -> axios.get
