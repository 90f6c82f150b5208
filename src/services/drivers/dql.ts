/**
 * Byte queue limits (issue 18, transmit): Linux's lib/dynamic_queue_limits.c and the netdev
 * hooks of include/linux/netdevice.h, as the improved e1000d's transmit queue limit
 * (e1000_main.c calls netdev_sent_queue in e1000_xmit_frame and netdev_completed_queue in
 * e1000_clean_tx_irq). The limit is the bytes the ring may hold not yet completed: it grows
 * when the queue ran dry while over its limit (starvation: the wire waited for the driver), and
 * shrinks by the lowest slack seen once the queue was busy for a whole `slack_hold_time`. A send
 * that leaves no room stops the queue (__QUEUE_STATE_STACK_XOFF); a completion that makes room
 * wakes it.
 *
 * Counters are unsigned in Linux and wrap; here they are exact numbers (a run moves far fewer
 * than 2^32 bytes), so POSDIFF is max(a - b, 0) and AFTER_EQ is a >= b. Time is in ns
 * (Linux: jiffies; the hold time is HZ, one second, netdev_init_one_queue's dql_init).
 */

/** DQL_MAX_OBJECT = UINT_MAX / 16 and DQL_MAX_LIMIT = UINT_MAX / 2 - DQL_MAX_OBJECT. */
export const DQL_MAX_OBJECT = Math.floor(0xffff_ffff / 16);
export const DQL_MAX_LIMIT = Math.floor(0xffff_ffff / 2) - DQL_MAX_OBJECT;
/** dql_init(&queue->dql, HZ): one second. */
export const DQL_HOLD_NS = 1_000_000_000;

export interface Dql {
  numQueued: number;
  adjLimit: number;
  lastObjCnt: number;
  limit: number;
  numCompleted: number;
  prevOvlimit: number;
  prevNumQueued: number;
  prevLastObjCnt: number;
  lowestSlack: number;
  slackStartNs: number;
  readonly maxLimit: number;
  readonly minLimit: number;
  readonly slackHoldNs: number;
  /** __QUEUE_STATE_STACK_XOFF: the stack may not hand the driver another frame. */
  stackXoff: boolean;
  /** Times a send stopped the queue (a count for reports, not in Linux's struct). */
  stops: number;
}

const posdiff = (a: number, b: number): number => (a > b ? a - b : 0);

/** dql_init then dql_reset: limit 0, nothing queued. */
export function dqlInit(nowNs: number, holdNs = DQL_HOLD_NS): Dql {
  return {
    numQueued: 0,
    adjLimit: 0,
    lastObjCnt: 0,
    limit: 0,
    numCompleted: 0,
    prevOvlimit: 0,
    prevNumQueued: 0,
    prevLastObjCnt: 0,
    lowestSlack: Number.POSITIVE_INFINITY,
    slackStartNs: nowNs,
    maxLimit: DQL_MAX_LIMIT,
    minLimit: 0,
    slackHoldNs: holdNs,
    stackXoff: false,
    stops: 0,
  };
}

/** dql_avail: room left under the limit (negative: over it). */
export function dqlAvail(d: Dql): number {
  return d.adjLimit - d.numQueued;
}

/** dql_queued: `count` bytes handed to the device. */
export function dqlQueued(d: Dql, count: number): void {
  if (count > DQL_MAX_OBJECT) throw new Error(`dql: object of ${count} bytes`);
  d.lastObjCnt = count;
  d.numQueued += count;
}

/** dql_completed: `count` bytes the device finished; adjusts the limit (the file's algorithm). */
export function dqlCompleted(d: Dql, count: number, nowNs: number): void {
  const numQueued = d.numQueued;
  if (count > numQueued - d.numCompleted) throw new Error('dql: completed more than queued');
  const completed = d.numCompleted + count;
  let limit = d.limit;
  let ovlimit = posdiff(numQueued - d.numCompleted, limit);
  const inprogress = numQueued - completed;
  const prevInprogress = d.prevNumQueued - d.numCompleted;
  const allPrevCompleted = completed >= d.prevNumQueued;
  if ((ovlimit > 0 && inprogress === 0) || (d.prevOvlimit > 0 && allPrevCompleted)) {
    // Starved: over the limit with nothing left in flight. Grow by what was both sent and
    // completed in the last interval, plus the previous over-limit.
    limit += posdiff(completed, d.prevNumQueued) + d.prevOvlimit;
    d.slackStartNs = nowNs;
    d.lowestSlack = Number.POSITIVE_INFINITY;
  } else if (inprogress > 0 && prevInprogress > 0 && !allPrevCompleted) {
    // Busy the whole interval: the excess over what kept it busy is slack; after the hold
    // time the limit drops by the lowest slack seen.
    let slack = posdiff(limit + d.prevOvlimit, 2 * (completed - d.numCompleted));
    const slackLastObjs = d.prevOvlimit > 0 ? posdiff(d.prevLastObjCnt, d.prevOvlimit) : 0;
    slack = Math.max(slack, slackLastObjs);
    if (slack < d.lowestSlack) d.lowestSlack = slack;
    if (nowNs > d.slackStartNs + d.slackHoldNs) {
      limit = posdiff(limit, d.lowestSlack);
      d.slackStartNs = nowNs;
      d.lowestSlack = Number.POSITIVE_INFINITY;
    }
  }
  limit = Math.min(Math.max(limit, d.minLimit), d.maxLimit);
  if (limit !== d.limit) {
    d.limit = limit;
    ovlimit = 0;
  }
  d.adjLimit = limit + completed;
  d.prevOvlimit = ovlimit;
  d.prevLastObjCnt = d.lastObjCnt;
  d.numCompleted = completed;
  d.prevNumQueued = numQueued;
}

/** netdev_tx_sent_queue: the frame is queued; the queue stops when no room is left. */
export function netdevSentQueue(d: Dql, bytes: number): void {
  dqlQueued(d, bytes);
  if (dqlAvail(d) >= 0) return;
  if (!d.stackXoff) d.stops++;
  d.stackXoff = true;
  // Linux re-checks after a barrier (a completion may have raced in); nothing runs between here.
}

/**
 * netdev_tx_completed_queue: `bytes` completed; true when this woke a queue BQL had stopped
 * (netif_schedule_queue: the stack may send again).
 */
export function netdevCompletedQueue(d: Dql, bytes: number, nowNs: number): boolean {
  if (bytes === 0) return false;
  dqlCompleted(d, bytes, nowNs);
  if (dqlAvail(d) < 0) return false;
  const was = d.stackXoff;
  d.stackXoff = false;
  return was;
}
