import * as shapes from './shapes';

function total() {
  const c = new shapes.Circle();
  c.grow();
  return shapes.area(1);
}
total();
// WANT: main.total -> shapes.area
// WANT: main.total -> shapes.Circle.grow
// WANT: main -> main.total
