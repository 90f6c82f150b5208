// The file: filesystem (kernel/fd/memfs.ts) against a model (fast-check): random mkdir,
// exclusive create, unlink and rmdir over a small tree give Linux's errnos in Linux's order
// (a missing or non-directory parent first, then the name itself), and afterwards every path
// the model holds exists with its kind and nothing else does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EEXIST, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY } from '../../../src/abi/errno.ts';
import { O_CREAT, O_EXCL, O_RDWR } from '../../../src/abi/fd.ts';
import { type Inode, MemFs } from '../../../src/kernel/fd/memfs.ts';

type Kind = 'dir' | 'file';
type Op = { op: 'mkdir' | 'create' | 'unlink' | 'rmdir'; path: string };

const pathArb = fc
  .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 })
  .map((names) => `/${names.join('/')}`);
const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom('mkdir' as const, 'create' as const, 'unlink' as const, 'rmdir' as const),
  path: pathArb,
});

/** The model's answer: the parent checks, then the name's. */
function modelStep(model: Map<string, Kind>, { op, path }: Op): number {
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  const up = parent === '/' ? 'dir' : model.get(parent);
  if (up === undefined) return parentMissing(model, parent);
  if (up === 'file') return -ENOTDIR;
  const here = model.get(path);
  switch (op) {
    case 'mkdir':
    case 'create':
      if (here !== undefined) return -EEXIST;
      model.set(path, op === 'mkdir' ? 'dir' : 'file');
      return 0;
    case 'unlink':
      if (here === undefined) return -ENOENT;
      if (here === 'dir') return -EISDIR;
      model.delete(path);
      return 0;
    case 'rmdir':
      if (here === undefined) return -ENOENT;
      if (here === 'file') return -ENOTDIR;
      if ([...model.keys()].some((p) => p.startsWith(`${path}/`))) return -ENOTEMPTY;
      model.delete(path);
      return 0;
  }
}

/** A missing parent: ENOTDIR if the walk meets a file first, else ENOENT. */
function parentMissing(model: Map<string, Kind>, parent: string): number {
  const names = parent.split('/').filter((n) => n.length > 0);
  for (let i = 1; i <= names.length; i++) {
    const kind = model.get(`/${names.slice(0, i).join('/')}`);
    if (kind === undefined) return -ENOENT;
    if (kind === 'file') return -ENOTDIR;
  }
  return -ENOENT;
}

function realStep(fs: MemFs, { op, path }: Op): number {
  switch (op) {
    case 'mkdir':
      return fs.mkdir(path, 0o755, 0);
    case 'create': {
      const r = fs.open(path, O_CREAT | O_EXCL | O_RDWR, 0o644, 0);
      return typeof r === 'number' ? r : 0;
    }
    case 'unlink':
      return fs.unlink(path);
    case 'rmdir':
      return fs.rmdir(path);
  }
}

function listing(dir: Inode, prefix: string, out: Map<string, Kind>): Map<string, Kind> {
  for (const [name, node] of dir.children) {
    out.set(`${prefix}/${name}`, node.isDir ? 'dir' : 'file');
    if (node.isDir) listing(node, `${prefix}/${name}`, out);
  }
  return out;
}

test("memfs gives the model's errnos and ends with the model's tree", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const fs = new MemFs();
      const model = new Map<string, Kind>();
      for (const o of ops) assert.equal(realStep(fs, o), modelStep(model, o), `${o.op} ${o.path}`);
      const got = listing(fs.root, '', new Map());
      assert.deepEqual([...got].sort(), [...model].sort());
    }),
    { numRuns: 400 },
  );
});
