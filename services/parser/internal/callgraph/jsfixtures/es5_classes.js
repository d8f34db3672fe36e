// ES5 classes: a constructor function and methods on its prototype.
function log(msg) { return msg; }

/** A queue, ES5 style. */
function Queue(items) {
  this.items = items || [];
  this.reset();
}

Queue.prototype.reset = function () {
  log('reset');
};

Queue.prototype.push = function (x) {
  this.items.push(x);
  this.size();
  return this;
};

Queue.prototype.size = function size() {
  return this.items.length;
};

Queue.from = function (xs) {
  var q = new Queue(xs);
  q.size();
  return q;
};

var Stack = function () {
  this.top = null;
};

Stack.prototype = {
  peek() {
    return this.top;
  },
  pop: function () {
    var top = this.peek();
    log('pop');
    return top;
  },
};
Stack.prototype.constructor = Stack;

function Deque() {}
Object.assign(Deque.prototype, {
  shift: function () {
    this.first();
  },
  first() { return log('first'); },
});

function main() {
  new Queue([]).push(1).push(2);
  Queue.from([1]).reset();
  var s = new Stack();
  s.pop();
  new Deque().shift();
}
main();
// WANT: es5_classes.Queue -> es5_classes.Queue.reset
// WANT: es5_classes.Queue.reset -> es5_classes.log
// WANT: es5_classes.Queue.push -> es5_classes.Queue.size
// WANT: es5_classes.Queue.from -> es5_classes.Queue
// WANT: es5_classes.Queue.from -> es5_classes.Queue.size
// WANT: es5_classes.Stack.pop -> es5_classes.Stack.peek
// WANT: es5_classes.Stack.pop -> es5_classes.log
// WANT: es5_classes.Deque.shift -> es5_classes.Deque.first
// WANT: es5_classes.Deque.first -> es5_classes.log
// WANT: es5_classes.main -> es5_classes.Queue
// WANT: es5_classes.main -> es5_classes.Queue.push
// WANT: es5_classes.main -> es5_classes.Queue.from
// WANT: es5_classes.main -> es5_classes.Queue.reset
// WANT: es5_classes.main -> es5_classes.Stack
// WANT: es5_classes.main -> es5_classes.Stack.pop
// WANT: es5_classes.main -> es5_classes.Deque
// WANT: es5_classes.main -> es5_classes.Deque.shift
// WANT: es5_classes -> es5_classes.main

// ES5 inheritance: util.inherits and Object.create(Base.prototype).
const util = require('util');

function Animal(name) {
  this.name = name;
}
Animal.prototype.speak = function () {
  return this.sound();
};
Animal.prototype.sound = function () {
  return log('...');
};

function Dog(name) {
  Animal.call(this, name);
}
util.inherits(Dog, Animal);
Dog.prototype.sound = function () {
  return log('woof');
};

function Cat(name) {
  Animal.call(this, name);
}
Cat.prototype = Object.create(Animal.prototype);

function pets() {
  new Dog('rex').speak();
  new Cat('tom').speak();
}
pets();
// WANT: es5_classes.Animal.speak -> es5_classes.Animal.sound
// WANT: es5_classes.Animal.speak -> es5_classes.Dog.sound
// WANT: es5_classes.Animal.sound -> es5_classes.log
// WANT: es5_classes.Dog.sound -> es5_classes.log
// WANT: es5_classes -> util.inherits
// WANT: es5_classes.pets -> es5_classes.Dog
// WANT: es5_classes.pets -> es5_classes.Cat
// WANT: es5_classes.pets -> es5_classes.Animal.speak
// WANT: es5_classes -> es5_classes.pets

// The same statements add to an ES6 class.
class Point {
  norm() { return this.scale(1); }
}
Point.prototype.scale = function (k) {
  return log(k);
};
Point.origin = function () {
  return new Point().norm();
};
// WANT: es5_classes.Point.norm -> es5_classes.Point.scale
// WANT: es5_classes.Point.scale -> es5_classes.log
// WANT: es5_classes.Point.origin -> es5_classes.Point.norm
