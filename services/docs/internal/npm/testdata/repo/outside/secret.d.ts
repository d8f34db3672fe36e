/** A secret outside node_modules. */
export declare function leak(): string;
