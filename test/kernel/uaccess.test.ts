// uaccess.ts, the kernel's one door to guest memory (issue 13): access_ok refuses null,
// unmapped, misaligned and protected words; get/put_user round-trip 32- and 64-bit words
// little-endian; copyin/copyout answer null/false (EFAULT) on any bad byte and copyout then
// writes nothing; access_process_vm writes another address space; guest atomics return the
// old word as the LOCK-prefixed instruction does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AtomicOp } from '../../src/abi/effects.ts';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/memory.ts';
import type { Thread } from '../../src/kernel/thread.ts';
import {
  accessOk,
  copyin,
  copyout,
  getUser32,
  getUser64,
  guestAtomic32,
  pokeProcess32,
  processWordOk,
  putUser32,
  putUser64,
  wordOk,
} from '../../src/kernel/uaccess.ts';
import { AddressSpace, GuestFault } from '../../src/kernel/vm.ts';

const PROT_READ = 1;
const PROT_RW = 3;

/** A thread-shaped value with only what uaccess reads: its process's address space. */
function threadOver(vm: AddressSpace): Thread {
  return { process: { vm }, lastCpu: -1 } as unknown as Thread;
}

function setup(): { vm: AddressSpace; t: Thread; rw: number; ro: number } {
  const vm = new AddressSpace(new PhysicalMemory(1 << 20), new Map());
  const rw = vm.mmapAnonymous(2 * PAGE_SIZE, PROT_RW, false);
  const ro = vm.mmapAnonymous(PAGE_SIZE, PROT_READ, false);
  return { vm, t: threadOver(vm), rw, ro };
}

test('uaccess: access_ok refuses null, unmapped, misaligned and write-protected words', () => {
  const { t, rw, ro } = setup();
  assert.equal(accessOk(t, 0, 4, false), false, 'null');
  assert.equal(accessOk(t, rw, 2 * PAGE_SIZE, true), true, 'both pages');
  assert.equal(accessOk(t, rw, 2 * PAGE_SIZE + 4, true), false, 'one word past the end: unmapped (USER_TOP)');
  assert.equal(accessOk(t, ro, 4, false), true);
  assert.equal(accessOk(t, ro, 4, true), false, 'read-only');
  assert.equal(wordOk(t, rw + 2, false), false, 'misaligned');
  assert.equal(wordOk(t, 0x1000, false), false, 'below the user range: unmapped');
});

test('uaccess: put_user/get_user round-trip 32- and 64-bit words, little-endian', () => {
  const { t, rw } = setup();
  putUser32(t, rw, 0xdead_beef);
  assert.equal(getUser32(t, rw), 0xdead_beef, 'unsigned');
  const big = 2 ** 40 + 12345; // hi word 256, lo word 12345
  putUser64(t, rw + 8, big);
  assert.deepEqual([getUser32(t, rw + 8), getUser32(t, rw + 12)], [12345, 256]);
  assert.equal(getUser64(t, rw + 8), big);
  putUser32(t, rw + 20, 0x20_0000); // hi word of 2^53: no exact double
  assert.equal(getUser64(t, rw + 16), Number.POSITIVE_INFINITY);
});

test('uaccess: a get/put past a failed check is the MMU fault (a kernel bug, not EFAULT)', () => {
  const { t, ro } = setup();
  assert.throws(() => putUser32(t, ro, 1), GuestFault);
});

test('uaccess: copyin/copyout answer EFAULT on any bad byte; copyout then writes nothing', () => {
  const { t, rw, ro } = setup();
  const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6);
  assert.equal(copyout(t, rw + 1, bytes), true, 'unaligned start is fine for bytes');
  assert.deepEqual([...copyin(t, rw + 1, 6)!], [1, 2, 3, 4, 5, 6]);
  assert.equal(getUser32(t, rw), 0x0302_0100, 'byte 0 untouched, bytes 1..3 little-endian');
  // mmap hands out addresses downward: the read-only page lies just below rw, so a copy from
  // its last word into rw's first fails whole.
  assert.equal(ro + PAGE_SIZE, rw);
  assert.equal(copyout(t, rw - 4, Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9)), false);
  assert.equal(getUser32(t, rw), 0x0302_0100, 'nothing written');
  assert.equal(copyin(t, 0x1000, 4), null, 'unmapped');
});

test('uaccess: access_process_vm writes another address space, not the caller', () => {
  const a = setup();
  const b = setup();
  assert.equal(processWordOk(b.vm, b.rw, true), true);
  assert.equal(processWordOk(b.vm, b.ro, true), false);
  pokeProcess32(b.vm, b.rw, 77);
  assert.equal(getUser32(b.t, b.rw), 77);
  assert.equal(getUser32(a.t, a.rw), 0);
});

test('uaccess: guest atomics return the old word and apply the operation', () => {
  const { t, rw } = setup();
  assert.equal(guestAtomic32(t, AtomicOp.Store, rw, 5, 0), 0);
  assert.equal(guestAtomic32(t, AtomicOp.FetchAdd, rw, 3, 0), 5);
  assert.equal(guestAtomic32(t, AtomicOp.CompareExchange, rw, 7, 1), 8, 'expected 7, holds 8: no swap');
  assert.equal(guestAtomic32(t, AtomicOp.CompareExchange, rw, 8, 1), 8);
  assert.equal(guestAtomic32(t, AtomicOp.FetchOr, rw, 6, 0), 1);
  assert.equal(guestAtomic32(t, AtomicOp.FetchAnd, rw, 4, 0), 7);
  assert.equal(guestAtomic32(t, AtomicOp.Exchange, rw, 0xffff_ffff, 0), 4);
  assert.equal(guestAtomic32(t, AtomicOp.Load, rw, 0, 0), 0xffff_ffff);
  assert.throws(() => guestAtomic32(t, AtomicOp.Load, 0x1000, 0, 0), GuestFault);
});
