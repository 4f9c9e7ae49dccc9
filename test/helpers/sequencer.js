// Longest test files first, so that parallel jest workers finish together. Jest orders by the durations
// it cached in an earlier run; on a fresh clone it has none and falls back to file size, which puts the
// scenario tests last: their files are a few lines that hand a multi-second scenario to harness/. Those
// are named here; a file missing from this list only runs later than it could.
const Sequencer = require('@jest/test-sequencer').default;

const LONG_RUNNING = [
  'test/reliability/lost-results.test.ts',
  'test/reliability/iam-consistency-races.test.ts',
  'test/reliability/lost-results-tags.test.ts',
  'test/reliability/iam-consistency.test.ts',
  'test/reliability/iam-faults.test.ts',
  'test/reliability/temporal-killed.test.ts',
  'test/e2e/worker-cache.test.ts',
  'test/e2e/starter-cli.test.ts',
  'test/reliability/worker-crash.test.ts',
  'test/e2e/ingest.test.ts',
  'test/reliability/temporal-hung.test.ts',
  'test/e2e/starter-outage.test.ts',
  'test/e2e/inspection-cli.test.ts',
  'test/integration/coalescing.test.ts',
  'test/reliability/server-restart.test.ts',
  'test/integration/result-by-update.test.ts',
  'test/reliability/duplicate-storm.test.ts',
  'test/integration/deferred-deletion.test.ts',
  'test/e2e/versioned-rollout.test.ts',
];

class LongestFirst extends Sequencer {
  sort(tests) {
    const cached = tests.filter((test) => this.time(test) !== undefined);
    if (cached.length > 0) return super.sort(tests);
    const rank = (test) => {
      const index = LONG_RUNNING.findIndex((path) => test.path.endsWith(path));
      return index === -1 ? LONG_RUNNING.length : index;
    };
    const bySize = super.sort(tests);
    return [...bySize].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirst;
