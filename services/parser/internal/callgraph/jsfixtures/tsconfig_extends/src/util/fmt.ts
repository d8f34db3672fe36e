export function fmt(s: string): string { return s.trim(); }
