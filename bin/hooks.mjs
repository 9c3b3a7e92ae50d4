// Module hooks that let Node run svacheck's TypeScript sources and a user's adapter without a
// build step: .ts and .mts files are stripped of their types (sucrase) and always loaded as
// ES modules, whatever the "type" of the package they sit in (npm init -y writes "commonjs").
// A .js file outside node_modules that is written with import/export is an ES module too.
import { transform } from 'sucrase';

const TS = /\.(m?ts)$/;
const ESM_SYNTAX = /^\s*(import\s*[\w*{'"]|export\s)/m;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    // `import './x.js'` written for a file that is ./x.ts (TypeScript's own convention).
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /^\.{1,2}\//.test(specifier) && /\.m?js$/.test(specifier))
      return nextResolve(specifier.replace(/\.(m?)js$/, '.$1ts'), context);
    throw e;
  }
}

export async function load(url, context, nextLoad) {
  const path = url.split('?')[0];
  if (url.startsWith('file:') && TS.test(path)) {
    const r = await nextLoad(url, { ...context, format: 'module' });
    const source = typeof r.source === 'string' ? r.source : Buffer.from(r.source).toString('utf8');
    const { code } = transform(source, {
      transforms: ['typescript'], disableESTransforms: true, keepUnusedImports: false,
      filePath: new URL(url).pathname,
    });
    return { format: 'module', source: code, shortCircuit: true };
  }
  const r = await nextLoad(url, context);
  if (r.format === 'commonjs' && url.startsWith('file:') && !path.includes('/node_modules/') && /\.js$/.test(path)) {
    const source = r.source ?? (await nextLoad(url, { ...context, format: 'module' })).source;
    const text = typeof source === 'string' ? source : Buffer.from(source).toString('utf8');
    if (ESM_SYNTAX.test(text)) return { format: 'module', source: text, shortCircuit: true };
  }
  return r;
}
