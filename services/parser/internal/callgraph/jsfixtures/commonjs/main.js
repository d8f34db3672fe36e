const math = require('./math');
const { twice } = require('./math.js');

function compute() {
  math.add(1, 2);
  return twice(3);
}
compute();
// WANT: main.compute -> math.add
// WANT: main.compute -> math.twice
// WANT: main -> main.compute
