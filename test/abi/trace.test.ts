/**
 * The trace-record registry (issue 11): every kind has its own value, the CPU's Op-valued records
 * and the atomic range fit it, and no code in src/ mixes a record under a bare number.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AtomicOp, Op } from '../../src/abi/effects.ts';
import { ATOMIC_KINDS, TRACE_KIND_HISTORY, TraceKind } from '../../src/abi/trace.ts';
import { KernelOp } from '../../src/hw/effects.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The values every kind occupies: one each, and the whole atomic range for AtomicBase. */
function occupied(): [string, number][] {
  return Object.entries(TraceKind).flatMap(([name, value]): [string, number][] =>
    name === 'AtomicBase'
      ? Array.from({ length: ATOMIC_KINDS }, (_, i): [string, number] => [`AtomicBase+${i}`, value + i])
      : [[name, value]],
  );
}

test('no two record kinds share a value, the atomic range included', () => {
  const byValue = new Map<number, string[]>();
  for (const [name, value] of occupied()) byValue.set(value, [...(byValue.get(value) ?? []), name]);
  const shared = [...byValue.entries()].filter(([, names]) => names.length > 1);
  assert.deepEqual(shared, []);
});

test('the CPU records under its Op values, and every atomic op fits the atomic range', () => {
  assert.equal(TraceKind.Compute, Op.Compute);
  assert.equal(TraceKind.Syscall, Op.Syscall);
  assert.equal(TraceKind.Switch, KernelOp.Switch);
  const ops = Object.values(AtomicOp).filter((v): v is number => typeof v === 'number');
  assert.ok(Math.max(...ops) < ATOMIC_KINDS, `AtomicOp ${Math.max(...ops)} beyond the range`);
});

test('every kind fits the hash: a non-negative integer below 256', () => {
  for (const [name, value] of occupied())
    assert.ok(Number.isInteger(value) && value >= 0 && value < 256, name);
});

test('the kinds that moved no longer hold their old value', () => {
  const values = new Set(occupied().map(([, v]) => v));
  for (const { kind, was } of TRACE_KIND_HISTORY) {
    assert.notEqual(TraceKind[kind], was);
    // 0x54 is still fair's affinity move, 0x66 an atomic FetchAnd: the values stay in use.
    assert.ok(values.has(was));
  }
});

test('no file in src/ mixes a trace record under a bare number', () => {
  const literal = /(?:\.mix|traceDecision)\(\s*(?:0x[0-9a-f]+|\d+)\s*[,+]/i;
  const offenders = sources(SRC).filter((path) => literal.test(readFileSync(path, 'utf8')));
  assert.deepEqual(offenders, []);
});
