// Computed member names: a string or a well-known symbol names the
// method (`[Symbol.iterator]` is `@@iterator`); any other key leaves it
// unnamed, its calls belonging to the code that defines the class.
const key = 'dyn';

function helper() { return 1; }

class Bag {
  values() { return []; }

  [Symbol.iterator]() {
    return this.values();
  }

  ['size']() {
    return helper();
  }

  [key]() {
    return helper();
  }
}

export function use() {
  const b = new Bag();
  b.size();
}
// WANT: computed_names.Bag.@@iterator -> computed_names.Bag.values
// WANT: computed_names.Bag.size -> computed_names.helper
// WANT: computed_names -> computed_names.helper
// WANT: computed_names.use -> computed_names.Bag.size
