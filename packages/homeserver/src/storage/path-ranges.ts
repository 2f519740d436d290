/** Paths of the ancestors of a file path: `/pub/a/b` → `/pub`, `/pub/a` (the collision check, spec §2.3). */
export function ancestorFiles(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/** The smallest string greater (byte-wise) than every string starting with `dir` (which ends in '/'). */
export function prefixEnd(dir: string): string {
  return dir.slice(0, -1) + '0';
}
