export default class Widget {
  constructor() { this.n = 0; }
  draw() { return this.n; }
}
