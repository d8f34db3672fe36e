export function pad(s: string) { return s; }
