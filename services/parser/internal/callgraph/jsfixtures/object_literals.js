const helpers = {
  trim(s) { return s.trim(); },
  clean: function (s) { return this.trim(s); },
  upper: (s) => s.toUpperCase(),
};
function use() {
  helpers.clean(' a ');
  helpers.upper('b');
}
// WANT: object_literals.helpers.clean -> object_literals.helpers.trim
// WANT: object_literals.use -> object_literals.helpers.clean
// WANT: object_literals.use -> object_literals.helpers.upper
