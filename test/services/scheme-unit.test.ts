/**
 * Scheme-type units register real user schemes (SVC-1, scheme-unit.ts): ready means the scheme
 * answers an open; a second unit claiming the same name fails to start (EEXIST before
 * readiness: EOF to init); a daemon with `wait_scheme` waits until the scheme answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function unit(path: string, body: string): string {
  return `[[file]]\npath = "/etc/init.d/${path}"\ntext = """\n${body}\n"""\n`;
}

const SCENARIO = `name = "scheme-units"
seed = 1
[machine]
cpus = 2
[[workload]]
kind = "program"
program = "svc-init"
variant = "improved"
stop_after_ms = 500
${unit('10_gpiod.service', '[unit]\ndefault_dependencies = false\n[service]\ncmd = "svc"\nargs = ["ready_ms=30"]\ntype = { scheme = "gpio" }')}
${unit('11_other.service', '[unit]\ndefault_dependencies = false\nrequires_weak = ["10_gpiod.service"]\n[service]\ncmd = "svc"\nargs = ["ready_ms=1"]\ntype = { scheme = "gpio" }')}
${unit('20_user.service', '[unit]\ndefault_dependencies = false\n[service]\ncmd = "svc"\nargs = ["ready_ms=1", "wait_scheme=gpio"]')}
${unit('90_login.service', '[unit]\ndefault_dependencies = false\nrequires_weak = ["20_user.service"]\n[service]\ncmd = "login"\nargs = ["ready_ms=1"]')}
`;

test('a scheme unit is ready once its scheme answers; a second claim of the name fails; wait_scheme waits for it', () => {
  const report = runConfig(parseScenario(SCENARIO, 'scheme-units.toml'), { skipNameChecks: true });
  const m = report.metrics;
  const gpiod = m['workload.svc-init.ready_ms_10_gpiod_service']!;
  // ready_ms=30 then the registration and init's check open: just after 30 ms.
  assert.ok(gpiod >= 30 && gpiod < 31, `gpiod ready at ${gpiod}`);
  assert.equal(m['workload.svc-init.ready_ms_11_other_service'], undefined, 'never ready');
  assert.equal(m['workload.svc-init.units_failed'], 1);
  const log = report.guest_text?.['svc-init']?.log ?? [];
  assert.ok(
    log.some((l) => l.startsWith('11_other.service: exited without notifying readiness')),
    log.join('\n'),
  );
  // The user looks at 1 ms, then every 10 ms: 11, 21, 31 — the first look after gpiod's 30 ms.
  const user = m['workload.svc-init.ready_ms_20_user_service']!;
  assert.ok(user >= 31 && user < 32, `user ready at ${user}`);
  assert.equal(m['workload.svc-init.booted'], 1);
});
