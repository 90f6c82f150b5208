/**
 * `--policy-module FILE` (issue 22) on `run`, `metrics`, `scale` and `policies`: your own
 * scheduler policy, loaded here (a bad module is the one-line error naming the file, exit 2)
 * before any run, and named in tables by its file's name.
 */
import { basename, extname } from 'node:path';
import { SCHED_POLICIES } from '../machine/config.ts';
import { modulePath } from '../machine/load-module.ts';
import { loadPolicyModule } from '../machine/policy-module.ts';
import type { ModulePolicyColumn } from '../report/scale.ts';
import { MODULE_POLICY_PRESET } from '../scenario/module-keys.ts';

/** The help text of the flag. */
export const POLICY_MODULE_HELP =
  'your own scheduler policy: a .ts/.js module exporting createPolicy (smpsim/policy)';

/** Loads the module `file` names (from the working directory) and gives its table column. */
export async function policyModuleColumn(file: string): Promise<ModulePolicyColumn> {
  const path = modulePath(file);
  await loadPolicyModule(path);
  const stem = basename(path, extname(path));
  // A file named like a built-in policy would make two columns of one name.
  const label = (SCHED_POLICIES as readonly string[]).includes(stem) ? `${stem}-module` : stem;
  return { label, path, preset: MODULE_POLICY_PRESET };
}
