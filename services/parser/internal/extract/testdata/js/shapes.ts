import { log } from './log';

/**
 * Area of a circle.
 *
 * @param r the radius
 */
export function area(r: number): number {
  return Math.PI * r * r;
}

/** Shapes that grow. */
export class Circle extends Shape {
  constructor(private r: number) {
    super();
  }
  get size() { return this.r; }
  static unit(): Circle { return new Circle(1); }
  grow = (by: number) => { this.r += by; log(this.r); };
}

export const double = (x: number): number => x * 2;

const helpers = {
  trim(s: string) { return s.trim(); },
  pad: function (s: string) { return ' ' + s; },
};

export default function () {
  [1, 2].forEach((n) => area(n));
}

function outer() {
  function inner() { throw new Error('no'); }
  return inner;
}

function broken() {
  let x = ;
  return x;
}
