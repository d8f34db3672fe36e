export function inc(v) { return v + 1; }
export default function main() { return inc(0); }
// WANT: esm.main -> esm.inc
