/**
 * `exec:<command and args>`: split a command line into words like a POSIX shell, without a
 * shell (PROTOCOL.md §1). Errors are values with the column where the problem is.
 */

export type SplitResult =
  | { readonly ok: true; readonly words: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly column: number };

export function splitCommand(line: string): SplitResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) { words.push(word); word = ''; inWord = false; }
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: 'unterminated single quote', column: i + 1 };
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) { word += line[++j]; continue; }
        word += line[j];
      }
      if (j >= line.length) return { ok: false, error: 'unterminated double quote', column: i + 1 };
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { ok: false, error: 'backslash at the end of the command', column: i + 1 };
      word += line[++i];
    } else word += c;
  }
  if (inWord) words.push(word);
  if (words.length === 0) return { ok: false, error: 'empty command', column: 1 };
  return { ok: true, words };
}

export const EXEC_PREFIX = 'exec:';

/** Parse `exec:<command>`; the column counts from the start of the whole spec. */
export function parseExecSpec(spec: string): SplitResult {
  if (!spec.startsWith(EXEC_PREFIX)) return { ok: false, error: `expected '${EXEC_PREFIX}<command and args>'`, column: 1 };
  const r = splitCommand(spec.slice(EXEC_PREFIX.length));
  return r.ok ? r : { ...r, column: r.column + EXEC_PREFIX.length };
}
