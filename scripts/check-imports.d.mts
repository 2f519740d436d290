/** Which workspace packages each package may import. */
export declare const ALLOWED: Record<string, string[]>;
/** Every violation of the import rules in the repository at `root`, as readable lines (empty when none). */
export declare function checkImports(root: string): string[];
