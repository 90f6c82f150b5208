/**
 * The smpsim command run in-process for CLI tests: its exit status and what it wrote to stdout
 * and stderr, as a user at a terminal would see them.
 */
import { main } from '../../src/cli/main.ts';

export interface Outcome {
  status: number;
  out: string;
  err: string;
}

export async function smpsim(...argv: string[]): Promise<Outcome> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { status, out, err };
}
