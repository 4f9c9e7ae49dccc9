import { ConfigError, loadLogLevel } from '../../src/config/environment';
import { loadIamConfig, loadManagedByTag } from '../../src/config/iam';
import { loadTemporalConfig } from '../../src/config/temporal';
import { loadConfig, workerCapacity } from '../../src/config/worker';

test('defaults are the local ones', () => {
  const config = loadConfig({});
  expect(config.temporal).toEqual({
    address: 'localhost:7233',
    namespace: 'default',
    taskQueue: 'iam-policy-events',
    accountTaskQueues: [],
    tls: undefined,
    apiKey: undefined,
    searchAttributes: true,
  });
  expect(config.metrics).toBeUndefined();
  expect(config.managedByTag).toEqual({ key: 'managed-by', value: 'iam-policy-events' });
  expect(config.logLevel).toBe('warn');
  expect(config.policyHistoryLimit).toBe(100);
  expect(config.polledTaskQueues).toEqual(['iam-policy-events']);
});

test('accounts with a task queue of their own: polled by default, or as WORKER_ACCOUNTS says', () => {
  const accounts = { IAM_ACCOUNTS: '222222222222,333333333333', TEMPORAL_TASK_QUEUE: 'iam' };
  const config = loadConfig({ ...accounts, TEMPORAL_ACCOUNT_TASK_QUEUES: ' 222222222222 ,' });
  expect(config.temporal.accountTaskQueues).toEqual(['222222222222']);
  expect(config.polledTaskQueues).toEqual(['iam', 'iam@222222222222']);
  expect(
    loadConfig({ ...accounts, TEMPORAL_ACCOUNT_TASK_QUEUES: '222222222222', WORKER_ACCOUNTS: '222222222222' })
      .polledTaskQueues,
  ).toEqual(['iam@222222222222']);
});

test.each([
  [{ TEMPORAL_ACCOUNT_TASK_QUEUES: '12345' }, /TEMPORAL_ACCOUNT_TASK_QUEUES: must be 12-digit account IDs/],
  [
    { IAM_ACCOUNTS: '222222222222', TEMPORAL_ACCOUNT_TASK_QUEUES: '222222222222,222222222222' },
    /TEMPORAL_ACCOUNT_TASK_QUEUES: names an account twice/,
  ],
  [
    { IAM_ACCOUNTS: '222222222222', TEMPORAL_ACCOUNT_TASK_QUEUES: '333333333333' },
    /TEMPORAL_ACCOUNT_TASK_QUEUES names 333333333333, not in IAM_ACCOUNTS \(222222222222\)/,
  ],
  [
    {
      IAM_ACCOUNTS: '222222222222',
      TEMPORAL_ACCOUNT_TASK_QUEUES: '222222222222',
      TEMPORAL_TASK_QUEUE: 'a@b',
    },
    /TEMPORAL_TASK_QUEUE \(a@b\) must not contain '@'/,
  ],
  [
    {
      IAM_ACCOUNTS: '222222222222',
      TEMPORAL_ACCOUNT_TASK_QUEUES: '222222222222',
      WORKER_ACCOUNTS: '333333333333',
    },
    /WORKER_ACCOUNTS names 333333333333, not in IAM_ACCOUNTS \(222222222222\)/,
  ],
  [{ WORKER_ACCOUNTS: ' , ' }, /WORKER_ACCOUNTS names no task queue to poll/],
  [
    {
      IAM_ACCOUNTS: '222222222222',
      TEMPORAL_ACCOUNT_TASK_QUEUES: '222222222222',
      WORKER_MAX_CACHED_WORKFLOWS: '60',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
    },
    /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS \(40\) must not be above WORKER_MAX_CACHED_WORKFLOWS \(60, 30 for each of the 2 task queues polled\)/,
  ],
])('refuses %j', (env, message) => {
  expect(() => loadConfig(env)).toThrow(message);
});

test('an API key (Temporal Cloud) turns TLS on', () => {
  const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret' });
  expect(config.temporal.tls).toBe(true);
  expect(config.temporal.apiKey).toBe('secret');
});

test.each([
  [{ TEMPORAL_ADDRESS: 'localhost' }, /TEMPORAL_ADDRESS: must be host:port/],
  [{ IAM_MANAGED_BY_TAG: 'managed-by' }, /IAM_MANAGED_BY_TAG: must be key=value/],
  [{ AWS_ACCOUNT_ID: '1234' }, /AWS_ACCOUNT_ID: must be 12 digits/],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  [{ TEMPORAL_TLS: 'maybe' }, /TEMPORAL_TLS/],
  [
    { TEMPORAL_TLS_CERT_PATH: '/x.pem' },
    /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together/,
  ],
  [{ TEMPORAL_TLS_CA_PATH: '/no/such/ca.pem' }, /TEMPORAL_TLS_CA_PATH: cannot read \/no\/such\/ca.pem/],
])('invalid configuration %j fails naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test('the managed-by tag is configurable', () => {
  expect(loadConfig({ IAM_MANAGED_BY_TAG: 'owner=platform-team' }).managedByTag).toEqual({
    key: 'owner',
    value: 'platform-team',
  });
});

test('search attributes can be switched off, and metrics get a port', () => {
  const config = loadConfig({
    TEMPORAL_SEARCH_ATTRIBUTES: 'off',
    METRICS_PORT: '9464',
    METRICS_HOST: '127.0.0.1',
  });
  expect(config.temporal.searchAttributes).toBe(false);
  expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
  expect(() => loadConfig({ TEMPORAL_SEARCH_ATTRIBUTES: 'maybe' })).toThrow(/TEMPORAL_SEARCH_ATTRIBUTES/);
  expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
});

test('how long an event waits for its result by update: 5 s by default, 0 to 8,000 ms', () => {
  expect(loadConfig({}).resultWaitMs).toBe(5000);
  expect(loadConfig({ EVENT_RESULT_WAIT_MS: '0' }).resultWaitMs).toBe(0);
  expect(loadConfig({ EVENT_RESULT_WAIT_MS: '8000' }).resultWaitMs).toBe(8000);
  for (const bad of ['-1', '8001', '2.5', 'soon']) {
    expect(() => loadConfig({ EVENT_RESULT_WAIT_MS: bad })).toThrow(/EVENT_RESULT_WAIT_MS/);
  }
});

test('the burst window: 200 ms quiet within 1 s by default; 0 turns it off; bounded and whole', () => {
  expect(loadConfig({}).coalesce).toEqual({ quietMs: 200, maxMs: 1000 });
  expect(loadConfig({ POLICY_COALESCE_QUIET_MS: '0' }).coalesce).toEqual({ quietMs: 0, maxMs: 1000 });
  expect(loadConfig({ POLICY_COALESCE_QUIET_MS: '500', POLICY_COALESCE_MAX_MS: '3000' }).coalesce).toEqual({
    quietMs: 500,
    maxMs: 3000,
  });
  for (const bad of ['-1', '10001', '2.5', 'short']) {
    expect(() => loadConfig({ POLICY_COALESCE_QUIET_MS: bad })).toThrow(/POLICY_COALESCE_QUIET_MS/);
  }
  for (const bad of ['-1', '60001', 'long']) {
    expect(() => loadConfig({ POLICY_COALESCE_MAX_MS: bad })).toThrow(/POLICY_COALESCE_MAX_MS/);
  }
});

test('deletes do not wait by default; DELETE_WAIT_* set whether and how they wait until the policy is unused', () => {
  expect(loadConfig({}).deleteWait).toEqual({
    byDefault: false,
    maxWaitMs: 604_800_000,
    firstCheckMs: 60_000,
    maxCheckIntervalMs: 3_600_000,
  });
  expect(
    loadConfig({
      DELETE_WAIT_UNTIL_UNUSED: 'yes',
      DELETE_WAIT_MAX_MS: '30000',
      DELETE_WAIT_CHECK_FIRST_MS: '1000',
      DELETE_WAIT_CHECK_MAX_MS: '5000',
    }).deleteWait,
  ).toEqual({ byDefault: true, maxWaitMs: 30_000, firstCheckMs: 1_000, maxCheckIntervalMs: 5_000 });
  for (const [name, bad] of [
    ['DELETE_WAIT_UNTIL_UNUSED', 'maybe'],
    ['DELETE_WAIT_MAX_MS', '999'],
    ['DELETE_WAIT_MAX_MS', '31536000001'],
    ['DELETE_WAIT_CHECK_FIRST_MS', '0'],
    ['DELETE_WAIT_CHECK_MAX_MS', '86400001'],
    ['DELETE_WAIT_CHECK_MAX_MS', '2.5'],
  ]) {
    expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(name));
  }
  expect(() =>
    loadConfig({ DELETE_WAIT_CHECK_FIRST_MS: '120000', DELETE_WAIT_CHECK_MAX_MS: '60000' }),
  ).toThrow(/DELETE_WAIT_CHECK_MAX_MS \(60000\) must not be below DELETE_WAIT_CHECK_FIRST_MS \(120000\)/);
});

test('the burst window must end before an event stops waiting for its result by update', () => {
  expect(() => loadConfig({ POLICY_COALESCE_MAX_MS: '5000' })).toThrow(
    /POLICY_COALESCE_MAX_MS \(5000\) must be below EVENT_RESULT_WAIT_MS \(5000\)/,
  );
  expect(() => loadConfig({ POLICY_COALESCE_MAX_MS: '3000', EVENT_RESULT_WAIT_MS: '2000' })).toThrow(
    /POLICY_COALESCE_MAX_MS/,
  );
  expect(loadConfig({ POLICY_COALESCE_MAX_MS: '4999' }).coalesce.maxMs).toBe(4999);
  expect(
    loadConfig({
      POLICY_COALESCE_MAX_MS: '20000',
      EVENT_RESULT_WAIT_MS: '8000',
      POLICY_COALESCE_QUIET_MS: '0',
    }).coalesce,
  ).toEqual({ quietMs: 0, maxMs: 20000 });
  // Every event by signal (no update to outwait): any bound is fine.
  expect(loadConfig({ POLICY_COALESCE_MAX_MS: '20000', EVENT_RESULT_WAIT_MS: '0' }).coalesce.maxMs).toBe(
    20000,
  );
});

test("the worker's workflow cache: sized from the heap limit unless WORKER_MAX_CACHED_WORKFLOWS is a positive integer", () => {
  expect(loadConfig({}).maxCachedWorkflows).toBeUndefined();
  expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1000' }).maxCachedWorkflows).toBe(1000);
  for (const bad of ['0', '-5', '2.5', 'lots']) {
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: bad })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  }
});

test("the worker's task slots: the SDK's defaults unless WORKER_MAX_CONCURRENT_* set them, bounded", () => {
  expect(loadConfig({}).slots).toEqual({});
  expect(
    loadConfig({
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '200',
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '400',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '300',
    }).slots,
  ).toEqual({
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 400,
    maxConcurrentActivityTaskExecutions: 300,
  });
  expect(loadConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '1' }).slots).toEqual({
    maxConcurrentActivityTaskExecutions: 1,
  });
  const refused: [string, string[]][] = [
    // The SDK needs 2 workflow task slots with a cache; half the local slots may wait for results.
    ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', ['0', '1', '10001', '2.5', 'many']],
    ['WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES', ['0', '1', '10001', '-3']],
    ['WORKER_MAX_CONCURRENT_ACTIVITIES', ['0', '10001', '1.5', 'x']],
  ];
  for (const [name, values] of refused) {
    for (const bad of values) {
      expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(name));
    }
  }
  // An empty variable counts as unset.
  expect(loadConfig({ WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '' }).slots).toEqual({});
});

test('workflow task slots may not exceed the workflow cache: a task runs on a cached workflow', () => {
  expect(() =>
    loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100', WORKER_MAX_CACHED_WORKFLOWS: '50' }),
  ).toThrow(
    /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS \(100\) must not be above WORKER_MAX_CACHED_WORKFLOWS \(50\)/,
  );
  expect(
    loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '50', WORKER_MAX_CACHED_WORKFLOWS: '50' }).slots,
  ).toEqual({ maxConcurrentWorkflowTaskExecutions: 50 });
});

test("the policy workflows' history limit is an integer from 100 to 50,000", () => {
  expect(loadConfig({ POLICY_HISTORY_LIMIT: '1000' }).policyHistoryLimit).toBe(1000);
  for (const bad of ['50', '60000', '2.5', 'many']) {
    expect(() => loadConfig({ POLICY_HISTORY_LIMIT: bad })).toThrow(/POLICY_HISTORY_LIMIT/);
  }
});

test('the worker runs as a version of a Worker Deployment named after its task queue, promoting itself if none is current', () => {
  expect(loadConfig({}).deployment).toEqual({ deploymentName: 'iam-policy-events', promote: 'if-none' });
  // Temporal joins deployment name and build ID with '.', so a task queue's dots become dashes.
  expect(loadConfig({ TEMPORAL_TASK_QUEUE: 'iam.prod' }).deployment?.deploymentName).toBe('iam-prod');
  expect(
    loadConfig({
      TEMPORAL_DEPLOYMENT_NAME: 'iam-events',
      TEMPORAL_BUILD_ID: '2.1.0-rc.1',
      TEMPORAL_DEPLOYMENT_PROMOTE: 'never',
    }).deployment,
  ).toEqual({ deploymentName: 'iam-events', buildId: '2.1.0-rc.1', promote: 'never' });
  expect(loadConfig({ TEMPORAL_WORKER_VERSIONING: 'off' }).deployment).toBeUndefined();
});

test.each([
  [{ TEMPORAL_DEPLOYMENT_NAME: 'iam.events' }, /TEMPORAL_DEPLOYMENT_NAME: must not contain '.'/],
  [{ TEMPORAL_DEPLOYMENT_PROMOTE: 'sometimes' }, /TEMPORAL_DEPLOYMENT_PROMOTE/],
  [{ TEMPORAL_WORKER_VERSIONING: 'yes' }, /TEMPORAL_WORKER_VERSIONING/],
  [{ TEMPORAL_BUILD_ID: 'x'.repeat(256) }, /TEMPORAL_BUILD_ID/],
  [
    { TEMPORAL_WORKER_VERSIONING: 'off', TEMPORAL_BUILD_ID: 'b1' },
    /TEMPORAL_WORKER_VERSIONING=off contradicts TEMPORAL_BUILD_ID/,
  ],
])('invalid deployment settings %j fail naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test('the client-side tools read the Temporal block and what they need, not the worker settings', () => {
  const workerOnly = { METRICS_PORT: '70000', POLICY_HISTORY_LIMIT: 'many', IAM_GUARDRAILS_FILE: '/no/such' };
  expect(loadTemporalConfig(workerOnly)).toEqual(loadConfig({}).temporal);
  expect(loadManagedByTag({ ...workerOnly, IAM_MANAGED_BY_TAG: 'owner=platform' })).toEqual({
    key: 'owner',
    value: 'platform',
  });
  expect(loadLogLevel({ ...workerOnly, LOG_LEVEL: 'info' })).toBe('info');
  // The starter's `policy` and `plan` judge policies as the worker does: they read the guardrails.
  expect(() => loadIamConfig(workerOnly)).toThrow(/IAM_GUARDRAILS_FILE: cannot read \/no\/such/);
  expect(() => loadTemporalConfig({ TEMPORAL_ADDRESS: 'localhost' })).toThrow(/TEMPORAL_ADDRESS/);
});

test('the worker is built with the slots and cache set, and at most half of either slot waiting for results', () => {
  const set = workerCapacity(
    loadConfig({
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '301',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '200',
      WORKER_MAX_CACHED_WORKFLOWS: '500',
    }),
  );
  expect(set.tuning).toEqual({
    maxConcurrentLocalActivityExecutions: 301,
    maxConcurrentWorkflowTaskExecutions: 200,
    maxCachedWorkflows: 500,
  });
  // Half of the fewer: the workflow task slots the SDK's 10 polls leave (each waiting delivery holds its
  // event workflow's task).
  expect(set.delivery.maxWaitingDeliveries).toBe(95);
  const fewerLocal = workerCapacity(
    loadConfig({ WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '60', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '200' }),
  );
  expect(fewerLocal.delivery.maxWaitingDeliveries).toBe(30);
  // As many slots as polls: none may wait (every event goes by signal).
  const fewSlots = workerCapacity(loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8' }));
  expect(fewSlots.delivery.maxWaitingDeliveries).toBe(0);
  // Unset: the SDK's slots (40 workflow tasks, 10 of them polling; 100 local activities).
  const unset = workerCapacity(loadConfig({}));
  expect(unset.tuning).toEqual({});
  expect(unset.delivery).toEqual({ resultWaitMs: loadConfig({}).resultWaitMs, maxWaitingDeliveries: 15 });
});
