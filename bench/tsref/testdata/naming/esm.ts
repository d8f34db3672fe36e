import def from './util/def';
import * as lib from './util/lib';

export function over(a: string): string; // overloads: one function, esm.over
export function over(a: number): number;
export function over(a: any): any { return def(a) + lib.twice(1); }

export abstract class Base {
  constructor(public n: number) {} // esm.Base.constructor
  abstract m(): void; // no body: not a function
  hi(): number { return over(1); }
}

export class Derived extends Base {
  constructor() { super(1); }
  m() { this.hi(); }
}

export class NoCtor extends Base { m() {} } // new NoCtor(2): the inherited esm.Base.constructor

export const deco = { mark(_t: object, _k: string) {} }; // esm.deco.mark
class Decorated { @deco.mark method() { return 1; } } // the decorator's call belongs to the module

export namespace N { export function inN() { return over('x'); } } // esm.N.inN

export default () => { new Derived(); new NoCtor(2); N.inN(); }; // esm.default
