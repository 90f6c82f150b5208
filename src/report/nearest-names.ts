/**
 * The names nearest a user's misspelt one, for error messages: the scenario loader's unknown keys
 * and the run's unknown metric names. It lives in report/ because the scenario layer sits below
 * the report layer and both use it.
 */

/** Only this much of a user's text is compared, so ranking stays cheap whatever its length. */
const NEAR_CHARS_MAX = 64;

/**
 * The `shown` names closest to `near` (edit distance, then name), with a count of the rest: each
 * distance computed once, so thousands of names cost a sort, not a sort of distance calls.
 */
export function nearestNames(names: readonly string[], near: string, shown: number): string {
  const target = near.slice(0, NEAR_CHARS_MAX);
  const ranked = names
    .map((name) => ({ name, d: editDistance(name.slice(0, NEAR_CHARS_MAX), target) }))
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, shown)
    .map((r) => r.name);
  const rest = names.length - ranked.length;
  return rest > 0 ? `${ranked.join(', ')}, ... ${rest} more` : ranked.join(', ');
}

/** Levenshtein distance, case-insensitive; only used to rank suggestions. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[t.length]!;
}
