class Engine { start() {} }
class Car {
  engine: Engine;
  constructor() { this.engine = new Engine(); }
  drive() { this.engine.start(); }
}
function trip() {
  const car = new Car();
  car.drive();
}
// WANT: instances.Car.drive -> instances.Engine.start
// WANT: instances.trip -> instances.Car.constructor
// WANT: instances.trip -> instances.Car.drive
