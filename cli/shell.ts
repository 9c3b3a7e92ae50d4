/** A word as a POSIX shell would read it back: printed commands must run when pasted. */
export const shq = (s: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
