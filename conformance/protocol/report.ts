/** An exec run's report as text: what ended it, how far it got, and what the child said. */
import { formatOp, formatResult } from '../../vocab/index.ts';
import type { ExecReport } from './adapter.ts';
import { describeFailure } from './failures.ts';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface RenderOptions {
  /** Transcript entries shown (the last N; default 12). */
  readonly transcript?: number;
  /** stderr lines shown (the last N; default 20). */
  readonly stderrLines?: number;
}

/** Text an implementation chose (its name, its stderr) as terminal-safe: control characters escaped, tab kept. */
export const visible = (text: string): string =>
  text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function renderExecReport(r: ExecReport, options: RenderOptions = {}): string[] {
  const out: string[] = [];
  out.push(`implementation: ${r.name === null ? '(no handshake)' : visible(r.name)} - ${r.command.join(' ')}${r.pid !== null ? ` (pid ${r.pid})` : ''}`);
  if (r.failure) out.push(...describeFailure(r.failure).split('\n'));
  else if (r.exitAfterShutdown) out.push(`note: after shutdown the process ${r.exitAfterShutdown.signal ? `was killed by ${r.exitAfterShutdown.signal}` : `exited with status ${r.exitAfterShutdown.code}`}`);
  const t = r.totals;
  out.push(`progress: ${plural(t.configures, 'configure')}, ${plural(t.opsSent, 'op')} sent, ${t.opsAnswered} answered`);
  if (r.configured) {
    const shown = options.transcript ?? 12;
    const list = r.transcript;
    out.push(`transcript since the last configure (variant ${r.configured.variant}, ${plural(list.length, 'op')}${list.length > shown ? `, last ${shown} shown` : ''}):`);
    list.slice(-shown).forEach((e, i) => {
      const n = list.length - Math.min(shown, list.length) + i + 1;
      out.push(`  ${String(n).padStart(4)}. ${formatOp(e.op)} -> ${e.result ? formatResult(e.result) : '(no answer)'}`);
    });
  }
  if (r.stderr.length > 0) {
    const lines = r.stderr.replace(/\n$/, '').split('\n');
    const shown = options.stderrLines ?? 20;
    out.push(`stderr (${r.stderrDropped ? 'older output dropped; ' : ''}last ${Math.min(shown, lines.length)} of ${plural(lines.length, 'line')} kept):`);
    for (const l of lines.slice(-shown)) out.push(`  | ${visible(l)}`);
  }
  return out;
}
