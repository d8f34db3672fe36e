class A { hello() { return 1; } }
class B extends A {}
class C extends B {
  run() { return this.hello(); }
}
export function main() { new C().run(); }
// WANT: extends_chain.C.run -> extends_chain.A.hello
// WANT: extends_chain.main -> extends_chain.C.run
