// Calls of JavaScript globals are told apart from the repository's and
// never name-matched; what a global's call returns is opaque, so its
// paths do not grow through fields and recursion.
class Range {
  constructor(r) {
    if (r instanceof Range) {
      return new Range(r.raw);
    }
    this.raw = String(r).trim();
    this.parts = this.raw.split(' ').map((p) => p.trim());
    console.log(JSON.stringify(this.parts));
  }

  format() {
    return this.raw;
  }
}

function main() {
  const r = new Range(process.argv[2]);
  r.format();
}
main();
// WANT: globals.Range.constructor -> globals.Range.constructor
// WANT: globals.Range.constructor -> <builtin>.String
// WANT: globals.Range.constructor -> <builtin>.console.log
// WANT: globals.Range.constructor -> <builtin>.JSON.stringify
// WANT: globals.main -> globals.Range.constructor
// WANT: globals.main -> globals.Range.format
// WANT: globals -> globals.main
