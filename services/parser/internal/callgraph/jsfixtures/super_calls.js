class Base {
  constructor(x) { this.x = x; }
  describe() { return 'base'; }
}
class Child extends Base {
  constructor(x) { super(x); }
  describe() { return super.describe() + '!'; }
}
// WANT: super_calls.Child.constructor -> super_calls.Base.constructor
// WANT: super_calls.Child.describe -> super_calls.Base.describe
