class Point {
  constructor(x, y) { this.x = x; this.y = y; }
}
function origin() { return new Point(0, 0); }
// WANT: new_class.origin -> new_class.Point.constructor
