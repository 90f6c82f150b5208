// Tiny hand-checked programs for the strategy tests: two threads of two steps each, on shared
// or separate words, whose numbers of interleavings are known by counting.
import { MemOrder } from '../../src/abi/effects.ts';
import type { Model } from '../../src/explore/model.ts';

/** Thread i stores to `addrs[i][0]`, then `addrs[i][1]` (SC: each store is one step). */
export function twoByTwo(name: string, addrs: [[number, number], [number, number]]): Model {
  return {
    name,
    description: 'two threads of two stores',
    claims: 'test',
    buggy: false,
    memory: 'sc',
    cpus: 2,
    cpusMin: 2,
    cpusMax: 2,
    source: 'test',
    build: () => ({
      threads: addrs.map((pair, i) => ({
        name: `T${i}`,
        run: function* (t) {
          yield t.store(pair[0], i + 1, MemOrder.Relaxed);
          yield t.store(pair[1], i + 1, MemOrder.Relaxed);
        },
      })),
    }),
  };
}
