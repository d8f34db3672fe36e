export function format(x: string): string {
  return x.trim();
}
export const shout = (x: string) => format(x).toUpperCase();
// WANT: util.shout -> util.format
