/**
 * `kind = "rtapp", file = "…json"` (issue 22): reads the rt-app description at `file` (relative
 * to the scenario's directory) and parses it for the machine's CPUs (workloads/rtapp/parse.ts).
 * A missing file or a problem in it is one line naming the scenario, `workload.N.file`, the
 * JSON file and the field inside it, and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RtappWorkload } from '../machine/config.ts';
import { parseRtapp, RtappError } from '../workloads/rtapp/parse.ts';
import { fail, fieldPath, type ReadContext, readString, readTable } from './fields.ts';

export function readRtapp(ctx: ReadContext, value: unknown, prefix: string, cpus: number): RtappWorkload {
  const table = readTable(ctx, value, prefix, ['kind', 'file']);
  const file = readString(ctx, table, 'file', prefix);
  const field = fieldPath(prefix, 'file');
  const path = resolve(ctx.dir ?? '.', file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(
      ctx,
      field,
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      'an rt-app JSON file, relative to the scenario',
    );
  }
  try {
    return { kind: 'rtapp', file: path, spec: parseRtapp(text, cpus) };
  } catch (e) {
    if (e instanceof RtappError) fail(ctx, field, `${file}: ${e.path}: ${e.problem}`, e.allowed);
    throw e;
  }
}
