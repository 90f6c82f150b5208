// Real machines' tables (issue 16, "Real tables in"): every file under $SMPSIM_ACPI_REAL decodes
// with the hardened parser without a fatal finding, and the enabled processor entries it counts
// equal those an independent decoder lists where the file has one (iasl's "Processor Enabled : 1"
// lines in hw-probe listings). Skipped without the variable: the dumps are not committed
// (test/fixtures/acpi/README.md says why and where they come from).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTableFiles } from '../../src/cli/acpi-files.ts';
import { parseFirmware } from '../../src/kernel/acpi/parse.ts';

const dir = process.env.SMPSIM_ACPI_REAL;

test('real table dumps decode, and agree with iasl on the enabled CPUs', {
  skip: dir === undefined ? 'SMPSIM_ACPI_REAL not set' : false,
}, () => {
  const files = readdirSync(dir!)
    .map((f) => join(dir!, f))
    .filter((p) => statSync(p).isFile());
  assert.ok(files.length > 0);
  for (const file of files) {
    const tables = loadTableFiles(file);
    const t = parseFirmware({ kind: 'tables', tables: tables.map((x) => x.bytes) }, 'hardened');
    assert.equal(t.outcome, 'ok', file);
    assert.ok(
      t.cpus.some((c) => c.enabled),
      file,
    );
    assert.deepEqual(
      t.findings.filter((f) => f.severity === 'fatal'),
      [],
      file,
    );
    const text = readFileSync(file, 'latin1');
    const iaslEnabled = text.match(/Processor Enabled : 1/g)?.length;
    if (iaslEnabled !== undefined) assert.equal(t.cpus.filter((c) => c.enabled).length, iaslEnabled, file);
  }
});
