import { format, shout as loud } from './util';

export function run(): void {
  format('a');
  loud('b');
}
// WANT: main.run -> util.format
// WANT: main.run -> util.shout
