// The pci: scheme (kernel/devio/pci-scheme.ts, issue 18) with pcid's namespace and answers
// (redox-os/drivers pcid/src/scheme.rs): the function directory names, EISDIR/ENOTDIR/ENOENT,
// the root-only channel held one at a time (ENOLCK), access's EBADF, fstat modes and sizes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EACCES, EBADF, EINVAL, EISDIR, ENOENT, ENOLCK, ENOTDIR } from '../../src/abi/errno.ts';
import { O_DIRECTORY, O_RDONLY, O_RDWR, S_IFCHR, S_IFDIR, STAT_MODE, STAT_SIZE } from '../../src/abi/fd.ts';
import type { Guest } from '../../src/abi/guest.ts';
import type { Program } from '../../src/abi/effects.ts';
import { errno } from '../../src/libc/errno.ts';
import { fork } from '../../src/libc/fork.ts';
import { close, fstat, open, read, readdirAll } from '../../src/libc/io.ts';
import { setuid } from '../../src/libc/proc-handles.ts';
import { waitpid } from '../../src/libc/process.ts';
import { mmap_anonymous } from '../../src/libc/sys.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import { pciName } from '../../src/kernel/devio/pci-scheme.ts';
import { quietNic } from '../support/bar.ts';
import { runGuest } from '../support/guest.ts';

const DEVICES: DeviceSetupConfig = {
  irqRouting: 'improved',
  iommu: false,
  devices: [quietNic('eth0'), quietNic('eth1')],
};
const F0 = '0000--00--03.0';

test('pci scheme: names as pcid writes PciAddress (":" as "--")', () => {
  assert.equal(pciName(3 << 3), F0);
  assert.equal(pciName((0x1a << 8) | (0x1f << 3) | 7), '0000--1a--1f.7');
});

test("pci scheme: pcid's directories, the exclusive root-only channel, and its errors", () => {
  const seen: unknown[] = [];
  runGuest(
    function* (t: Guest): Program<number> {
      const buf = yield* mmap_anonymous(t, 8192);
      const res = (r: number) => (r < 0 ? -errno(t) : r);
      const names = function* (fd: number) {
        return ((yield* readdirAll(t, fd, buf, 4096)) ?? []).map((e) => e.name);
      };
      seen.push(res(yield* open(t, 'pci:', O_RDONLY))); // a directory without O_DIRECTORY
      const top = yield* open(t, 'pci:', O_RDONLY | O_DIRECTORY);
      seen.push(yield* names(top));
      yield* fstat(t, top, buf + 4096);
      seen.push([t.load32(buf + 4096 + STAT_MODE), t.load32(buf + 4096 + STAT_SIZE)]);
      seen.push(res(yield* read(t, top, buf, 64)));
      const dev = yield* open(t, `pci:${F0}/`, O_RDONLY);
      seen.push(yield* names(dev));
      seen.push(res(yield* open(t, 'pci:0000--00--09.0/', O_RDONLY)));
      seen.push(res(yield* open(t, `pci:${F0}/bogus`, O_RDWR)));
      seen.push(res(yield* open(t, `pci:${F0}/channel/`, O_RDWR)));
      const ch = yield* open(t, `pci:${F0}/channel`, O_RDWR);
      seen.push(res(yield* open(t, `pci:${F0}/channel`, O_RDWR))); // held: ENOLCK
      seen.push(res(yield* read(t, ch, buf, 64)));
      yield* fstat(t, ch, buf + 4096);
      seen.push(t.load32(buf + 4096 + STAT_MODE));
      yield* close(t, ch);
      const again = yield* open(t, `pci:${F0}/channel`, O_RDWR);
      seen.push(again >= 0);
      const access = yield* open(t, 'pci:access', O_RDWR);
      seen.push(res(yield* read(t, access, buf, 8)));
      const pid = yield* fork(t, function* (g) {
        yield* setuid(g, 1000);
        const r1 = yield* open(g, 'pci:0000--00--04.0/channel', O_RDWR);
        const e1 = errno(g);
        const r2 = yield* open(g, 'pci:/', O_RDONLY);
        seen.push(r1 < 0 ? -e1 : r1, r2 >= 0);
        return 0;
      });
      yield* waitpid(t, pid);
      return 0;
    },
    null,
    { cpus: 2, devices: DEVICES },
  );
  assert.deepEqual(seen, [
    -EISDIR,
    [F0, '0000--00--04.0'],
    [S_IFDIR | 0o755, 2],
    -EISDIR,
    ['channel'],
    -ENOENT,
    -ENOENT,
    -ENOTDIR,
    -ENOLCK,
    -EINVAL, // a channel read before any request (pcid's AwaitingData)
    S_IFCHR | 0o600,
    true, // given back on close
    -EBADF, // access: pcid serves it through call only
    -EACCES, // a channel is root's
    true, // directories are not
  ]);
});
