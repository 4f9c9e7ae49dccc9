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
  // An account taken off the list: its queue polled until the policy workflows there have moved.
  expect(polledTaskQueues({ base: 'iam', accounts: [] }, ['default', B, B])).toEqual([
    'iam',
    'iam@222222222222',
  ]);
});

test('WORKER_ACCOUNTS may name the base queue and accounts of IAM_ACCOUNTS', () => {
  expect(polledAccountsProblem(['default', B], [B])).toBeUndefined();
  expect(polledAccountsProblem([], [B])).toBe('names no task queue to poll');
  expect(polledAccountsProblem(['444444444444'], [B, C])).toBe(
    'names 444444444444, not in IAM_ACCOUNTS (222222222222, 333333333333): name default for the base queue, or accounts the service may touch',
  );
  expect(polledAccountsProblem([B, 'x'], [])).toMatch(
    /^names 222222222222, x, not in IAM_ACCOUNTS \(empty\)/,
  );
});

test("workers of one process share the heap's workflow cache", () => {
  expect(cacheShare(600, 3)).toBe(200);
  expect(cacheShare(100, 3)).toBe(33);
  expect(cacheShare(2, 5)).toBe(1);
  expect(cacheShare(50, 1)).toBe(50);
});
