export class Counter {
  private n = 0;
  inc() { this.n++; return this.check(); }
  check() { return this.n; }
  reset = () => { this.inc(); };
}
// WANT: this_calls.Counter.inc -> this_calls.Counter.check
// WANT: this_calls.Counter.reset -> this_calls.Counter.inc
