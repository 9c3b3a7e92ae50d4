/**
 * Why a module adapter could not be loaded, in plain words: the file is not there, its
 * TypeScript does not parse, it imports a package that is not installed, or it threw while
 * loading. svacheck loads .ts, .mts and .js adapters as ES modules whatever the package type.
 */
export function describeLoadError(e: unknown, shown: string): string {
  const err = e as NodeJS.ErrnoException & { url?: string };
  const msg = String(err?.message ?? e).split('\n')[0];
  const pkg = /Cannot find package '([^']+)' imported from/.exec(msg);
  if (pkg) return `${shown} imports '${pkg[1]}', which is not installed where the adapter is (npm install --save-dev ${pkg[1]} in its project)`;
  const mod = /Cannot find module '([^']+)' imported from (\S+)/.exec(msg);
  if (mod) return /conform\.ts$|\/cli\//.test(mod[2]) ? `no such file: ${shown}` : `${shown} imports ${mod[1]}, which does not exist`;
  const parse = /^Error transforming (\S+): (.*?)(?: \((\d+):(\d+)\))?$/.exec(msg);
  if (parse) return `${shown}: the TypeScript does not parse: ${parse[2]}${parse[3] ? ` at line ${parse[3]}, column ${parse[4]}` : ''}`;
  if (err instanceof SyntaxError) return `${shown}: the JavaScript does not parse: ${msg}`;
  return `${shown} threw while loading: ${msg}`;
}
