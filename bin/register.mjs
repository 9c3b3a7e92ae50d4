// `node --import svacheck/register` (or an import of this file) installs bin/hooks.mjs.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
