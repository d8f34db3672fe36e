// A parameter's declared class gives it instances of that class where no
// caller passes one (callbacks, exported APIs); types that name no class
// give nothing, and a declared type calls no constructor.
import type { Options } from './nowhere';
import { Request } from 'express';
import * as http from 'node:http';

class Subscriber<T> {
  constructor(public value: T) {}
  next(v: T) { return v; }
}

interface Sink { next(v: number): void }

export function operate(fn: (s: Subscriber<number>) => void) {
  return fn;
}

export const use = operate((subscriber: Subscriber<number>) => {
  subscriber.next(1);
});

export function handle(req: Request, res: http.ServerResponse, sink: Sink, opts?: Options) {
  req.get('host');
  res.end();
  sink.next(2);
  return opts;
}
// WANT: declared_types -> declared_types.operate
// WANT: declared_types -> declared_types.Subscriber.next
// WANT: declared_types.handle -> express.Request.get
// WANT: declared_types.handle -> http.ServerResponse.end

// Parameter properties and typed fields hold what they declare.
class Relay {
  constructor(private readonly out: Subscriber<number>) {}

  push() {
    this.out.next(1);
  }
}

class Holder {
  sub: Subscriber<string>;

  flush() {
    this.sub.next('x');
  }
}
// WANT: declared_types.Relay.push -> declared_types.Subscriber.next
// WANT: declared_types.Holder.flush -> declared_types.Subscriber.next
