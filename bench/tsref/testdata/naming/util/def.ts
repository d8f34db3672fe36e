export default function (x: any) { return named(x); } // util.def.default
export function named(x: any) { return x; } // util.def.named
