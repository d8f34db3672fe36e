import { pad } from './util';
import { upper } from './util/strings.js';

export const both = (s: string) => upper(pad(s));
// WANT: main.both -> util.index.pad
// WANT: main.both -> util.strings.upper
