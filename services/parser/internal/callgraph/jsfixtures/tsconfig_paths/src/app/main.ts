import { log } from '@shared/log';
import { load } from 'app/config';

export function start() {
  load();
  log('started');
}
// WANT: src.app.main.start -> src.shared.log.log
// WANT: src.app.main.start -> src.app.config.load
