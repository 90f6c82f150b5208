/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/** Small DOM helpers: elements built with text content only (file contents are never parsed as HTML). */

type Child = Node | string | number | null | undefined;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === 'object' ? c : String(c));
  }
  return node;
}

/** A table with a header row and body rows of cells. */
export function table(head: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLTableElement {
  return el(
    'table',
    attrs,
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
  );
}

/** A thread's colour: hues spread by the golden angle, so neighbouring tids differ. */
export function threadColour(tid: number, alpha = 1): string {
  const hue = (tid * 137.508) % 360;
  return `hsla(${hue.toFixed(1)}, 62%, ${tid % 2 === 0 ? 52 : 42}%, ${alpha})`;
}
