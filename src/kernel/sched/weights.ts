/**
 * The priority-to-weight table shared by Redox's DWRR and Linux's CFS (`sched_prio_to_weight`,
 * kernel/sched/core.c; models.md §4.1): index = Redox prio = nice + 20, about 1.25x per level.
 */
import { assert } from '../../engine/assert.ts';

export const PRIO_TO_WEIGHT: readonly number[] = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121,
  2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23,
  18, 15,
];

/** Weight of nice 0, the unit of both schedulers' accounting. */
export const NICE_0_WEIGHT = 1024;

assert(PRIO_TO_WEIGHT.length === 40, 'weights: 40 levels');
assert(PRIO_TO_WEIGHT[20] === NICE_0_WEIGHT, 'weights: prio 20 is nice 0');
