/**
 * `nvmed` as a scenario program (issue 18, HW-11): the NVMe userspace driver with its fio-style
 * clients (services/drivers/nvmed.ts). Needs a `[[device]] kind = "nvme"` of that name.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { nvmedMain } from '../services/drivers/nvmed.ts';
import { type GuestProgram, intArg, type ProgramArgs, stringArg } from './program.ts';

function* main(t: Guest, arg: unknown): Program<number> {
  const args = arg as ProgramArgs;
  const out = yield* nvmedMain(t, {
    device: stringArg(args, 'device'),
    queues: intArg(args, 'queues'),
    jobs: intArg(args, 'jobs'),
    requests: intArg(args, 'requests'),
    write: stringArg(args, 'rw') === 'write',
    spanBlocks: intArg(args, 'span_blocks'),
    streaming: stringArg(args, 'dma') === 'streaming',
    queueByCpu: stringArg(args, 'queue_map') === 'cpu',
  });
  t.data.output = { ...(t.data.output as object), nvmed: out };
  return 0;
}

export const NVMED: GuestProgram = {
  image: { name: 'nvmed', main },
  doc: 'the NVMe userspace driver with fio-style client threads: IOPS and request latency (HW-11)',
  claims: ['HW-11', 'K13', 'K21'],
  params: [
    {
      name: 'device',
      kind: 'choice',
      choices: ['nvme0', 'nvme1'],
      fallback: 'nvme0',
      doc: 'the [[device]] name',
    },
    {
      name: 'queues',
      kind: 'int',
      min: 0,
      max: 64,
      fallback: 0,
      doc: 'I/O queue pairs: 0 one per CPU (Linux), 1 Redox',
    },
    {
      name: 'jobs',
      kind: 'int',
      min: 1,
      max: 256,
      fallback: 4,
      doc: 'client threads, job j on CPU j mod cpus',
    },
    {
      name: 'requests',
      kind: 'int',
      min: 1,
      max: 100_000,
      fallback: 100,
      doc: 'requests per job, queue depth 1',
    },
    {
      name: 'rw',
      kind: 'choice',
      choices: ['read', 'write'],
      fallback: 'read',
      doc: '4 KiB reads or writes',
    },
    {
      name: 'dma',
      kind: 'choice',
      choices: ['coherent', 'streaming'],
      fallback: 'coherent',
      doc: 'buffers: one coherent DMA page per job, or a page mapped per request',
    },
    {
      name: 'queue_map',
      kind: 'choice',
      choices: ['job', 'cpu'],
      fallback: 'job',
      doc: "a request's queue: the job's first CPU's, or the submitting CPU's (blk-mq; cpu-offline-io)",
    },
    {
      name: 'span_blocks',
      kind: 'int',
      min: 8,
      max: 1 << 30,
      fallback: 1 << 16,
      doc: 'blocks the requests spread over',
    },
  ],
};
