function work(x) { return x; }
function other() {}
export function main(items) {
  items.forEach((it) => work(it));
  setTimeout(function () { other(); }, 1);
}
[1, 2].map(v => work(v));
// WANT: callbacks.main -> callbacks.work
// WANT: callbacks.main -> callbacks.other
// WANT: callbacks -> callbacks.work
