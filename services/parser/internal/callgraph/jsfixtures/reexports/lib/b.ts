export function gamma() {}
