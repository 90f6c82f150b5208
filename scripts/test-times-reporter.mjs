// A node:test reporter for scripts/run-tests.mjs: writes one JSON object with each test file's
// wall time (ms) and the pass and fail counts, which the runner uses to balance its shards next
// time and to print one summary for all of them. A file's time is the wall time between the end
// of the previous top-level test and the end of each of its own, so hooks (a `before` that runs
// a benchmark) count too, as they do for the shard's length.
export default async function* testTimes(source) {
  const files = {};
  let pass = 0;
  let fail = 0;
  let lastMs = performance.now();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type !== 'suite') {
      if (event.type === 'test:pass') pass++;
      else fail++;
    }
    if (event.data.nesting === 0 && event.data.file !== undefined) {
      const now = performance.now();
      files[event.data.file] = (files[event.data.file] ?? 0) + (now - lastMs);
      lastMs = now;
    }
  }
  yield JSON.stringify({ files, pass, fail });
}
