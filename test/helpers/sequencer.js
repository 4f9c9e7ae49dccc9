// Longest test files first, so that parallel jest workers finish together. Jest orders by the durations
// it cached in an earlier run, and on a fresh clone by file size, which puts the scenario tests last:
// their files are a few lines that hand a multi-second scenario to harness/. The long files are named
// here and always start first; the others follow in jest's order.
const Sequencer = require('@jest/test-sequencer').default;

const LONG_RUNNING = [
  'test/reliability/iam-consistency-races.test.ts',
  'test/integration/accounts.test.ts',
  'test/integration/deferred-deletion.test.ts',
  'test/reliability/lost-results.test.ts',
  'test/reliability/lost-results-tags.test.ts',
  'test/integration/result-by-update.test.ts',
  'test/e2e/starter-outage.test.ts',
  'test/integration/coalescing.test.ts',
  'test/e2e/worker-cache.test.ts',
  'test/reliability/temporal-killed.test.ts',
  'test/reliability/strict-iam.test.ts',
  'test/integration/strict-iam-proxy.test.ts',
  'test/reliability/temporal-hung.test.ts',
  'test/reliability/worker-crash.test.ts',
  'test/e2e/ingest.test.ts',
  'test/e2e/starter-cli.test.ts',
  'test/reliability/iam-consistency.test.ts',
  'test/reliability/iam-faults.test.ts',
  'test/e2e/versioned-rollout.test.ts',
  'test/e2e/audit-trail.test.ts',
  'test/e2e/drift.test.ts',
  'test/reliability/server-restart.test.ts',
  'test/e2e/inspection-cli.test.ts',
  'test/reliability/duplicate-storm.test.ts',
];

class LongestFirst extends Sequencer {
  sort(tests) {
    // The named files first, in their order, even when jest has durations cached from an earlier run:
    // a file new to the cache (a test file split in two) would otherwise start last.
    const rank = (test) => {
      const index = LONG_RUNNING.findIndex((path) => test.path.endsWith(path));
      return index === -1 ? LONG_RUNNING.length : index;
    };
    const byDurationOrSize = super.sort(tests);
    return [...byDurationOrSize].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirst;
