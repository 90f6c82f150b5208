/**
 * What a step touches, for the partial-order reduction: the shared objects (a word's address;
 * futex queues share their word's address) it reads or writes. Two steps of different agents
 * are dependent when they touch one object and at least one writes it (same address, same lock
 * word, same futex key: DPOR's dependence relation, Flanagan and Godefroid, POPL 2005); a step
 * with no objects (a buffered store, a fence that waits for nothing, a woken return) is local
 * and commutes with everything.
 */
export interface Footprint {
  readonly objs: readonly number[];
  readonly writes: readonly boolean[];
}

export const LOCAL: Footprint = { objs: [], writes: [] };

export function reads(...objs: number[]): Footprint {
  return { objs, writes: objs.map(() => false) };
}

export function writes(obj: number): Footprint {
  return { objs: [obj], writes: [true] };
}

export function dependent(a: Footprint, b: Footprint): boolean {
  for (let i = 0; i < a.objs.length; i++) {
    for (let j = 0; j < b.objs.length; j++) {
      if (a.objs[i] === b.objs[j] && (a.writes[i] || b.writes[j])) return true;
    }
  }
  return false;
}
