// The limits on deliveries waiting for their result: in all, per account, per policy.
import { waitingDeliveries } from '../../src/domain/waiting-deliveries';

test('one account takes no more than its share: another account still gets in', () => {
  const waiting = waitingDeliveries({ total: 10, perAccount: 5, perPolicy: 5 });
  for (let i = 0; i < 5; i += 1) expect(waiting.tryEnter('B', `p${i}`)).toBe(true);
  expect(waiting.tryEnter('B', 'p9')).toBe(false);
  expect(waiting.tryEnter('A', 'p0')).toBe(true);
  expect(waiting.total).toBe(6);
});

test('the total and the per-policy limits hold, and leaving frees a place', () => {
  const waiting = waitingDeliveries({ total: 3, perAccount: 3, perPolicy: 2 });
  expect(waiting.tryEnter('A', 'p')).toBe(true);
  expect(waiting.tryEnter('A', 'p')).toBe(true);
  expect(waiting.tryEnter('A', 'p')).toBe(false); // per policy
  // The same policy name in another account is another policy.
  expect(waiting.tryEnter('B', 'p')).toBe(true);
  expect(waiting.tryEnter('C', 'q')).toBe(false); // in all
  waiting.leave('A', 'p');
  expect(waiting.tryEnter('A', 'p')).toBe(true);
  expect(waiting.total).toBe(3);
});

test('a refused delivery counts nothing', () => {
  const waiting = waitingDeliveries({ total: 1, perAccount: 1, perPolicy: 1 });
  expect(waiting.tryEnter('A', 'p')).toBe(true);
  expect(waiting.tryEnter('A', 'q')).toBe(false);
  waiting.leave('A', 'p');
  expect(waiting.total).toBe(0);
  expect(waiting.tryEnter('A', 'q')).toBe(true);
});
