import { Subscriber, SafeSubscriber } from './subscriber';

interface Observer {
  next(): void;
}

class Subject {
  next() {}
}

// Subject and SafeSubscriber values both reach each binding below; the
// declared class keeps the ones it allows (a subclass included) and adds
// its own instance; an interface keeps them all, and so does a union
// that names a class (without adding one).
function notify(subscriber: Subscriber) {
  subscriber.next();
}
function notifyOrNull(subscriber: Subscriber | null) {
  subscriber.next();
}
function observe(observer: Observer) {
  observer.next();
}
class Holder {
  private target: Subscriber;
  constructor(target: any) {
    this.target = target;
  }
  flush() {
    this.target.next();
  }
}
function run() {
  for (const x of [new Subject(), new SafeSubscriber()]) {
    notify(x);
    notifyOrNull(x);
    observe(x);
    const local: Subscriber = x;
    local.next();
    new Holder(x).flush();
  }
}
// WANT: main.notify -> subscriber.SafeSubscriber.next
// WANT: main.notify -> subscriber.Subscriber.next
// WANT: main.notifyOrNull -> subscriber.SafeSubscriber.next
// WANT: main.observe -> main.Subject.next
// WANT: main.observe -> subscriber.SafeSubscriber.next
// WANT: main.run -> subscriber.SafeSubscriber.next
// WANT: main.run -> main.Holder.constructor
// WANT: main.run -> main.Holder.flush
// WANT: main.run -> main.notify
// WANT: main.run -> main.notifyOrNull
// WANT: main.run -> main.observe
// WANT: main.Holder.flush -> subscriber.SafeSubscriber.next
// WANT: main.Holder.flush -> subscriber.Subscriber.next

// A callback that declares no parameter types takes those of the
// function type it is passed to (`this` is not a position).
function each(fn: (this: unknown, s: Subscriber) => void, value: Subject | SafeSubscriber) {
  fn(value);
}
function callbacks() {
  each((s) => {
    s.next();
  }, new Subject());
  each((s) => {
    s.next();
  }, new SafeSubscriber());
}
// WANT: main.callbacks -> main.each
// WANT: main.callbacks -> subscriber.SafeSubscriber.next
// WANT: main.each -> main.callbacks.<lambda1>
// WANT: main.each -> main.callbacks.<lambda2>
