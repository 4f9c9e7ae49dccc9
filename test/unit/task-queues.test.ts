import {
  accountTaskQueue,
  allTaskQueues,
  cacheShare,
  polledAccountsProblem,
  polledTaskQueues,
  taskQueueOf,
} from '../../src/domain/task-queues';

const B = '222222222222';
const C = '333333333333';
const routing = { base: 'iam', accounts: [B, C] };

test('an account with a queue of its own works there; the default account and every other on the base queue', () => {
  expect(taskQueueOf(routing, B)).toBe('iam@222222222222');
  expect(taskQueueOf(routing, undefined)).toBe('iam');
  expect(taskQueueOf(routing, '444444444444')).toBe('iam');
  expect(taskQueueOf({ base: 'iam', accounts: [] }, B)).toBe('iam');
  expect(accountTaskQueue('iam', C)).toBe('iam@333333333333');
});

test('a worker polls every queue by default, or those WORKER_ACCOUNTS names, the base queue first', () => {
  expect(allTaskQueues(routing)).toEqual(['iam', 'iam@222222222222', 'iam@333333333333']);
  expect(polledTaskQueues(routing)).toEqual(allTaskQueues(routing));
  expect(polledTaskQueues(routing, [C, 'default'])).toEqual(['iam', 'iam@333333333333']);
  expect(polledTaskQueues(routing, [B])).toEqual(['iam@222222222222']);
});

test('WORKER_ACCOUNTS may name only the base queue and the accounts with a queue of their own', () => {
  expect(polledAccountsProblem(routing, ['default', B])).toBeUndefined();
  expect(polledAccountsProblem(routing, [])).toBe('names no task queue to poll');
  expect(polledAccountsProblem(routing, ['444444444444'])).toMatch(
    /names 444444444444, which has no task queue of its own \(TEMPORAL_ACCOUNT_TASK_QUEUES: 222222222222, 333333333333\); use default/,
  );
  expect(polledAccountsProblem({ base: 'iam', accounts: [] }, [B, 'x'])).toMatch(
    /names 222222222222, x, which have no task queue of their own \(TEMPORAL_ACCOUNT_TASK_QUEUES: none\)/,
  );
});

test("workers of one process share the heap's workflow cache", () => {
  expect(cacheShare(600, 3)).toBe(200);
  expect(cacheShare(100, 3)).toBe(33);
  expect(cacheShare(2, 5)).toBe(1);
  expect(cacheShare(50, 1)).toBe(50);
});
