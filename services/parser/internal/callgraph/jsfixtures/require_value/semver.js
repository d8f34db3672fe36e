class SemVer {
  constructor(v) { this.v = v; }
  compare(o) { return 0; }
}
module.exports = SemVer;
