/** The one error type scenario loading throws: a one-line message naming the file, field and allowed values. */

/** What a {@link ScenarioError} is built from. */
export interface ScenarioProblem {
  /** The scenario file as the user named it. */
  file: string;
  /** Dotted path of the offending field (`kernel.scheduler`, `workload.0.range`); empty for file-level problems. */
  field: string;
  /** What is wrong, e.g. `"cfs" is not a scheduler`. */
  problem: string;
  /** What would have been accepted, e.g. `dwrr, fair` or `1..256`. */
  allowed?: string;
}

/**
 * Bad input in a scenario file or its overrides. The CLI prints `message` as is and exits 2, so the
 * message is always one line (DESIGN.md, "Rules that keep it honest": bad input gets a one-line error).
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly file: string;
  readonly field: string;
  readonly problem: string;
  readonly allowed: string | undefined;

  constructor(p: ScenarioProblem) {
    super(formatScenarioProblem(p));
    this.file = p.file;
    this.field = p.field;
    this.problem = oneLine(p.problem);
    this.allowed = p.allowed === undefined ? undefined : oneLine(p.allowed);
  }
}

/**
 * Each part's most characters in a message: a field path or a value can come from the user at
 * any length, and a message must stay one readable line (issue 12 found 5 KB ones).
 */
const PART_CHARS_MAX = { file: 200, field: 80, problem: 200, allowed: 240 };

/** Renders `<file>: <field>: <problem> (allowed: <allowed>)`, leaving out the parts that are empty. */
export function formatScenarioProblem(p: ScenarioProblem): string {
  const parts = [
    clip(p.file, PART_CHARS_MAX.file),
    clip(p.field, PART_CHARS_MAX.field),
    clip(p.problem, PART_CHARS_MAX.problem),
  ].filter((s) => s !== '');
  const allowed =
    p.allowed === undefined || p.allowed === ''
      ? ''
      : ` (allowed: ${clip(p.allowed, PART_CHARS_MAX.allowed)})`;
  return `${parts.join(': ')}${allowed}`;
}

/** One line of at most `max` characters, the cut marked. */
function clip(text: string, max: number): string {
  const line = oneLine(text);
  return line.length <= max ? line : `${line.slice(0, max - 3)}...`;
}

/** Collapses line breaks so that text from parsers or user values cannot split a message. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
