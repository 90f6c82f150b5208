/**
 * `svc-init`: the userspace init (src/services/init-program.ts) as a scenario workload
 * (SVC-1..SVC-5, SVC-8, U1..U4). Its units are the files the scenario seeds under
 * /etc/init.d (`[[file]]`); its parameters pick the init and the observation window.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import type { InitVariant } from '../services/init-config.ts';
import { type InitArgs, SVC_INIT } from '../services/init-program.ts';
import type { LoadMode } from '../services/unit-graph.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

function* main(t: Guest, raw: unknown): Program<number> {
  const a = raw as ProgramArgs;
  const variant = stringArg(a, 'variant') as InitVariant;
  const load = stringArg(a, 'load');
  const loadMode: LoadMode =
    variant === 'improved' ? 'improved' : load === 'pre-p15-8' ? 'redox-pre-p15-8' : 'redox';
  const args: InitArgs = {
    variant,
    loadMode,
    keepNotifyWriteEnd: intArg(a, 'keep_notify_write_end') === 1,
    stopAfterNs: intArg(a, 'stop_after_ms') * 1_000_000,
    unitDir: stringArg(a, 'dir'),
    censusEveryNs: intArg(a, 'census_every_ms') * 1_000_000,
    reapOrphans: intArg(a, 'reap_orphans') === 1,
  };
  return (yield t.call(SVC_INIT.main(t, args))) as number;
}

export const SVC_INIT_PROGRAM: GuestProgram = {
  // The kernel's child reaper (kernel/orphans.ts): orphans no subreaper takes come to init.
  image: { name: 'svc-init', main, childReaper: true },
  doc: 'init over the unit files in /etc/init.d: redox (synchronous, no timeout or restart) or improved',
  claims: ['SVC-1', 'SVC-2', 'SVC-3', 'SVC-4', 'SVC-5', 'SVC-8'],
  params: [
    {
      name: 'variant',
      kind: 'choice',
      choices: ['redox', 'improved'],
      doc: 'which init',
      fallback: 'improved',
    },
    {
      name: 'load',
      kind: 'choice',
      choices: ['p15-8', 'pre-p15-8'],
      doc: "redox's closure load: after P15-8 (seen + silent skip) or before it (false cycle errors)",
      fallback: 'p15-8',
    },
    {
      name: 'keep_notify_write_end',
      kind: 'int',
      min: 0,
      max: 1,
      doc: 'redox before eeee52f2: init keeps the INIT_NOTIFY write end (no EOF, boot hangs)',
      fallback: 0,
    },
    {
      name: 'dir',
      kind: 'choice',
      choices: ['/etc/init.d', '/etc/init.d-alt'],
      doc: 'where the unit files are: -alt holds a second configuration for a [compare] variant',
      fallback: '/etc/init.d',
    },
    {
      name: 'stop_after_ms',
      kind: 'int',
      min: 1,
      max: 259_200_000,
      doc: 'init publishes its state and exits this long after it started (the observation window)',
      fallback: 10_000,
    },
    {
      name: 'census_every_ms',
      kind: 'int',
      min: 0,
      max: 259_200_000,
      doc: 'SVC-9: a leak census (sys_census: frames, threads, processes, zombies, fds) at every multiple of this; 0: none',
      fallback: 0,
    },
    {
      name: 'reap_orphans',
      kind: 'int',
      min: 0,
      max: 1,
      doc: 'reap the orphans the kernel hands init: a thread in sigtimedwait(SIGCHLD) calling waitpid(-1, WNOHANG); 0: off (the seeds before it)',
      fallback: 0,
    },
  ],
};
