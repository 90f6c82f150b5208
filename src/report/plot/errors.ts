/** A plot's input cannot be drawn (wrong kind of result, nothing to draw): one line, exit 2. */
export class PlotInputError extends Error {
  override readonly name = 'PlotInputError';
}
