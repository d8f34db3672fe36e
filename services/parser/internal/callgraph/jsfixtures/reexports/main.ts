import { alpha, delta, bee } from './lib';

export function go() {
  alpha();
  delta();
  bee.gamma();
}
// WANT: main.go -> lib.a.alpha
// WANT: main.go -> lib.b.gamma
