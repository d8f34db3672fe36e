import { run } from '@app/run';
import { fmt } from '@util/fmt';

export function render() {
  fmt('x');
  return run('page');
}
// WANT: packages.web.page.render -> src.app.run.run
// WANT: packages.web.page.render -> @util/fmt.fmt
