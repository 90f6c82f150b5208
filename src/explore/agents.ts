/**
 * The agents of an exploration: what can take the next step. Each thread is one (id = its
 * index); under TSO each thread's store buffer is another (it drains on its own), and under PSO
 * each (thread, address) queue is one. Ids are given on first sight and kept for the whole
 * search, so backtrack sets and schedules mean the same agent in every re-execution. An agent's
 * name is its token in a schedule string: `2` thread 2, `d2` its buffer, `d2@16` its queue for
 * address 16.
 */
export interface AgentInfo {
  thread: number;
  /** -1 for the thread itself; the drained address for a PSO queue; -2 for a TSO buffer. */
  addr: number;
  name: string;
}

export const DRAIN_FIFO = -2;
const SELF = -1;

export class Agents {
  readonly threads: number;
  readonly info: AgentInfo[] = [];
  readonly #byName = new Map<string, number>();

  constructor(threads: number) {
    this.threads = threads;
    for (let i = 0; i < threads; i++) this.#add({ thread: i, addr: SELF, name: String(i) });
  }

  #add(info: AgentInfo): number {
    const id = this.info.length;
    this.info.push(info);
    this.#byName.set(info.name, id);
    return id;
  }

  isThread(agent: number): boolean {
    return agent < this.threads;
  }

  /** The drain agent of `thread`'s FIFO (TSO) or of its queue for `addr` (PSO). */
  drain(thread: number, addr: number): number {
    const name = addr === DRAIN_FIFO ? `d${thread}` : `d${thread}@${addr}`;
    return this.#byName.get(name) ?? this.#add({ thread, addr, name });
  }

  /** The agent a schedule token names, or -1 if the token is not an agent's name. */
  parse(token: string): number {
    const known = this.#byName.get(token);
    if (known !== undefined) return known;
    const m = /^d(\d+)(?:@(\d+))?$/.exec(token);
    if (m === null) return -1;
    const thread = Number(m[1]);
    if (thread >= this.threads) return -1;
    return this.drain(thread, m[2] === undefined ? DRAIN_FIFO : Number(m[2]));
  }

  name(agent: number): string {
    return this.info[agent]!.name;
  }
}
