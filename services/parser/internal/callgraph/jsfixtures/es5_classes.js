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
