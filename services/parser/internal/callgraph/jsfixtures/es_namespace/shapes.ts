export function area(r: number) { return r * r; }
export class Circle { grow() { return area(2); } }
// WANT: shapes.Circle.grow -> shapes.area
