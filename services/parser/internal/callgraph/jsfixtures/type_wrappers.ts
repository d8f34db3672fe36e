// TypeScript's type-only wrappers do not hide the function or object they wrap.
interface Factory {
  <T>(fn: T): T
  <T>(name: string, fn: T): T
}
export const computed: Factory = function computed(arg: any) {
  return normalize(arg);
} as any;
const factories = {
  box(value: number) { return computed(value); },
  1(code: string) { return normalize(code); },
} as const;
const checked = { run: (x: string) => normalize(x) } satisfies Record<string, unknown>;
function normalize(x: any) { return x; }
export function use() {
  factories.box(1);
  checked.run('a');
}
// WANT: type_wrappers.computed -> type_wrappers.normalize
// WANT: type_wrappers.factories.box -> type_wrappers.computed
// WANT: type_wrappers.factories.1 -> type_wrappers.normalize
// WANT: type_wrappers.checked.run -> type_wrappers.normalize
// WANT: type_wrappers.use -> type_wrappers.factories.box
// WANT: type_wrappers.use -> type_wrappers.checked.run
