export default function (name) {
  return helper(name);
}
function helper(n) { return n; }
// WANT: greet.default -> greet.helper
