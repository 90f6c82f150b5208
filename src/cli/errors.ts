/** The CLI's error for bad flags and arguments: a one-line message that ends the command with exit status 2. */

/**
 * A bad flag value, a missing argument or a wrong combination on the command line. `main` prints
 * `smpsim: <message>` and exits 2 (DESIGN.md, "Contracts other tools rely on").
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /**
   * `flag` names what was wrong (`--runs`; empty when it is the command line as a whole), `allowed`
   * what would have been accepted. The message is `<flag>: <problem> (allowed: <allowed>)`.
   */
  constructor(flag: string, problem: string, allowed?: string) {
    const prefix = flag === '' ? '' : `${flag}: `;
    const suffix = allowed === undefined ? '' : ` (allowed: ${allowed})`;
    super(`${prefix}${problem}${suffix}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}
