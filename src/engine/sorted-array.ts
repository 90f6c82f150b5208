/**
 * Insert into and remove from an array kept in order, with the ends done by push, pop and shift
 * instead of `splice` (issue 14). A run queue or a futex chain usually gains its entry at the end
 * (equal keys keep FIFO order) and loses it at the front, and `Array.prototype.splice` is a
 * builtin call that allocates the array of removed elements even for one (its share of a futex
 * ping-pong: docs/design.md). The result is the same array as splice's.
 */

/** `list.splice(index, 0, item)`. */
export function insertAt<T>(list: T[], index: number, item: T): void {
  if (index === list.length) list.push(item);
  else if (index === 0) list.unshift(item);
  else list.splice(index, 0, item);
}

/** `list.splice(index, 1)` without the array it returns; `index` must hold an element. */
export function removeAt<T>(list: T[], index: number): void {
  if (index === list.length - 1) list.pop();
  else if (index === 0) list.shift();
  else list.splice(index, 1);
}
