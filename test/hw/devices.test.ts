// The device seam (hw/device.ts, hw/device-bus.ts): a test device registered with the board gets
// its MMIO and port accesses, drives a line that reaches a LAPIC through ApicBus.deliver and then
// the kernel's vector table, and has its timer deadlines run as engine events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Guest } from '../../src/abi/guest.ts';
import type { Program } from '../../src/abi/effects.ts';
import { PrngDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import type { AccessSize, Device, DeviceHost } from '../../src/hw/device.ts';
import { bootGuest } from '../support/guest.ts';

const BASE = 0xfed4_0000;
const REG_COUNT = BASE; // write: arm a one-shot countdown of N ns (0 disarms); read: ns left
const REG_STATUS = BASE + 4; // read: expiries so far; write: acknowledge (drops the line)
const PORT_ID = 0x510; // read: the device id byte; write: a scratch byte read back at PORT_ID + 1
const DEVICE_ID = 0x5a;
const LINE = 11;
const VECTOR = 0x50;
const NO_LIMITS = { simNsMax: Number.POSITIVE_INFINITY, eventsMax: 100_000 };

/** A one-shot countdown timer: the smallest device with registers, a line and a deadline. */
class Countdown implements Device {
  readonly name = 'countdown';
  readonly mmio = [{ base: BASE, size: 8 }];
  readonly ports = [{ base: PORT_ID, size: 2 }];
  readonly lines = [LINE];
  deadlineNs = Number.POSITIVE_INFINITY;
  expiries = 0;
  timerCalls = 0;
  scratch = 0;
  #host!: DeviceHost;

  attach(host: DeviceHost): void {
    this.#host = host;
  }

  mmioRead(addr: number, _size: AccessSize): number {
    if (addr === REG_COUNT) {
      return this.deadlineNs === Number.POSITIVE_INFINITY ? 0 : this.deadlineNs - this.#host.nowNs;
    }
    return this.expiries;
  }

  mmioWrite(addr: number, _size: AccessSize, value: number): void {
    if (addr === REG_COUNT)
      this.deadlineNs = value === 0 ? Number.POSITIVE_INFINITY : this.#host.nowNs + value;
    else this.#host.setLine(0, false);
  }

  portRead(port: number): number {
    return port === PORT_ID ? DEVICE_ID : this.scratch;
  }

  portWrite(_port: number, _size: AccessSize, value: number): void {
    this.scratch = value & 0xff;
  }

  timer(nowNs: number): number {
    this.timerCalls++;
    if (nowNs >= this.deadlineNs) {
      this.deadlineNs = Number.POSITIVE_INFINITY;
      this.expiries++;
      this.#host.setLine(0, true);
    }
    return this.deadlineNs;
  }
}

function bareBoard(cpus = 2): Board {
  return new Board({
    topology: { cpus, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 20 },
    cpuMhz: 3000,
    memoryBytes: 1 << 24,
    costs: resolveCostModel({}),
    decider: new PrngDecider(new Prng(1)),
  });
}

/** Runs `fn` from an engine event at `timeNs`. */
function at(board: Board, timeNs: number, fn: () => void): void {
  const kind = board.engine.register(`test@${timeNs}`, fn);
  board.engine.at(timeNs, kind, 0, 0);
}

test('MMIO and port accesses reach the device that claims them; unclaimed ones float high', () => {
  const board = bareBoard();
  const device = new Countdown();
  board.devices.register(device);
  assert.equal(board.devices.portRead(PORT_ID, 1), DEVICE_ID);
  board.devices.portWrite(PORT_ID + 1, 1, 0x1234);
  assert.equal(board.devices.portRead(PORT_ID + 1, 1), 0x34);
  board.devices.mmioWrite(REG_COUNT, 4, 7000);
  assert.equal(board.devices.mmioRead(REG_COUNT, 4), 7000);
  assert.equal(board.devices.mmioRead(REG_STATUS, 4), 0);
  // Nothing decodes these: an empty hole, a port nobody claims, an access running past the range.
  assert.equal(board.devices.mmioRead(BASE + 0x100, 4), 0xffff_ffff);
  assert.equal(board.devices.mmioRead(BASE + 0x100, 2), 0xffff);
  assert.equal(board.devices.portRead(0x60, 1), 0xff);
  assert.equal(board.devices.mmioRead(BASE + 6, 4), 0xffff_ffff);
  board.devices.mmioWrite(BASE + 0x100, 4, 1); // dropped
  assert.equal(device.expiries, 0);
});

test('a device whose range overlaps another is refused, naming both', () => {
  const board = bareBoard();
  board.devices.register(new Countdown());
  const clash = new Countdown();
  (clash as { mmio: unknown }).mmio = [{ base: BASE + 4, size: 16 }];
  (clash as { ports: unknown }).ports = [];
  assert.throws(
    () => board.devices.register(clash),
    /devices: countdown's MMIO range 0xfed40004\+16 overlaps countdown's/,
  );
});

test('a timer deadline is one engine event at the time timer() returned; a rewrite replaces it', () => {
  const board = bareBoard();
  const device = new Countdown();
  board.devices.register(device);
  const highAt: number[] = [];
  board.devices.connect(LINE, (_line, high) => {
    if (high) highAt.push(board.engine.nowNs);
  });
  at(board, 0, () => board.devices.mmioWrite(REG_COUNT, 4, 5000)); // due at 5000
  at(board, 1000, () => board.devices.mmioWrite(REG_COUNT, 4, 2000)); // replaced: due at 3000
  board.engine.run(NO_LIMITS);
  assert.deepEqual(highAt, [3000], 'fired once, at the rewritten deadline');
  assert.equal(device.expiries, 1);
  assert.equal(board.devices.deadlineNs(0), Number.POSITIVE_INFINITY);
  assert.equal(board.devices.lineHigh(LINE), true, 'the line stays high until acknowledged');
  board.devices.mmioWrite(REG_STATUS, 4, 1);
  assert.equal(board.devices.lineHigh(LINE), false);
  // Registration, two writes, one deadline, the ack: the replaced 5000 event called nothing.
  assert.equal(device.timerCalls, 5);
});

test('a raised line reaches a LAPIC through deliver, at the route latency', () => {
  const board = bareBoard();
  const device = new Countdown();
  board.devices.register(device);
  const routeLatencyNs = 300;
  board.devices.connect(LINE, (_line, high) => {
    if (high) board.apic.deliver(1, VECTOR, routeLatencyNs);
  });
  const irqs: [number, number, number][] = [];
  board.engine.observe((kind, arg, tag) => {
    if (board.engine.handlerName(kind) === 'irq') irqs.push([board.engine.nowNs, arg, tag]);
  });
  at(board, 0, () => board.devices.mmioWrite(REG_COUNT, 4, 5000));
  board.engine.run(NO_LIMITS);
  assert.deepEqual(irqs, [[5000 + routeLatencyNs, 1, VECTOR]]);
  assert.equal(board.cpus[1]!.lapic.pending(VECTOR), true);
  assert.equal(board.cpus[1]!.lapic.intr, true);
  assert.equal(board.cpus[0]!.lapic.pending(VECTOR), false);
});

test('end to end: the device interrupt runs the handler the kernel registered, on the routed CPU', () => {
  const machine = bootGuest(
    function* (t: Guest): Program<number> {
      for (let i = 0; i < 10; i++) yield t.compute(300_000); // 1 ms on CPU 0 at 3 GHz
      return 0;
    },
    null,
    { cpus: 2, costs: { computeJitterPpm: 0, cpuSkewPpm: 0 } },
  );
  const { board, kernel } = machine;
  const device = new Countdown();
  board.devices.register(device);
  const routeLatencyNs = 300;
  board.devices.connect(LINE, (_line, high) => {
    if (high) board.apic.deliver(1, VECTOR, routeLatencyNs);
  });
  const ran: [number, number, number][] = [];
  kernel.irq.register(VECTOR, 'countdown', (_k, cpu, vector) => {
    ran.push([cpu.id, vector, board.engine.nowNs]);
    board.devices.mmioWrite(REG_STATUS, 4, 1); // the driver acknowledges: the line drops
    return null;
  });
  board.devices.mmioWrite(REG_COUNT, 4, 200_000);
  const interruptsBefore = kernel.stats.interrupts;
  board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.equal(kernel.finished, true);
  // CPU 1 is idle in `hlt` at 200 µs (its first LAPIC tick is at least a period away): it wakes
  // (C1 exit), takes the vector (interrupt entry), and the handler runs right after the EOI.
  const costs = board.costs;
  assert.deepEqual(ran, [[1, VECTOR, 200_000 + routeLatencyNs + costs.idleWakeNs + costs.irqEntryNs]]);
  assert.equal(board.devices.lineHigh(LINE), false);
  assert.equal(board.cpus[1]!.lapic.inService, -1, 'the entry path wrote EOI');
  assert.equal(kernel.stats.spuriousInterrupts, 0);
  assert.ok(kernel.stats.interrupts > interruptsBefore);
  assert.equal(kernel.irq.name(VECTOR), 'countdown');
});
