/** The guest program an rt-app workload runs (run.ts), under the name its output is published by. */
import type { ProgramImage } from '../../abi/guest.ts';
import { rtappMain } from './run.ts';

export const RTAPP_MAIN: ProgramImage = { name: 'rtapp', main: rtappMain };
