export function log(m: string) {}
