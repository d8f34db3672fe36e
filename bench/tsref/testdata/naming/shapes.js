class Shape { // shapes.Shape.*
  constructor(n) { this.n = n; }
  get size() { return this.n; } // shapes.Shape.size
  set size(v) { this.n = Shape.check(v); } // shapes.Shape.size#2 (a name defined again takes #n)
  static check(v) { return v; } // shapes.Shape.check
  area() { return 0; }
}

class Square extends Shape {
  constructor(n) { super(n); } // shapes.Square.constructor -> shapes.Shape.constructor
  area() { return this.size * super.area(); } // -> shapes.Shape.area
  field = () => Shape.check(1); // shapes.Square.field (a function-valued field)
  ["comp" + "uted"]() { return Shape.check(2); } // a computed name: not named, its call belongs to the module
}

class Plain { m() { return new Square(1); } } // new Plain(): no constructor, no edge

const Anon = class { run() { return new Plain().m(); } }; // shapes.Anon.run

module.exports = { Shape, Square, Plain, Anon, make() { return new Anon().run(); } }; // shapes.make
