export class Subscriber {
  next() {}
}
export class SafeSubscriber extends Subscriber {
  next() {}
}
