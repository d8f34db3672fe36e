import { fmt } from '@util/fmt';
import { fmt as viaBase } from 'util/fmt';

export function run(s: string) {
  viaBase(s);
  return fmt(s);
}
// WANT: src.app.run.run -> src.util.fmt.fmt
