// The test proxy's fault decisions: reproducible from a seed, in the proportions asked for.
import { createFaultInjector } from '../../harness/iam-faults';
import { seededRandom } from '../../harness/seeded-random';

const decisions = (seed: number) => {
  const injector = createFaultInjector(seed, { throttleRate: 0.3, serverErrorRate: 0.05, dropRate: 0.05 });
  return Array.from({ length: 500 }, () => {
    const decision = injector.decide('GetPolicy');
    return decision.kind === 'answer' ? decision.fault : decision.kind;
  });
};

test('the same seed makes the same decisions; another seed other ones', () => {
  expect(decisions(42)).toEqual(decisions(42));
  expect(decisions(43)).not.toEqual(decisions(42));
});

test('shares are close to the plan, counted by kind; actions outside the plan pass', () => {
  const injector = createFaultInjector(5, {
    throttleRate: 0.3,
    serverErrorRate: 0.1,
    actions: ['GetPolicy'],
  });
  for (let i = 0; i < 2000; i += 1) injector.decide('GetPolicy');
  const counts = injector.counts();
  expect(counts.throttled / 2000).toBeCloseTo(0.3, 1);
  // Server errors are drawn among the requests not throttled: 10% of 70%.
  expect(counts['server-error'] / 2000).toBeCloseTo(0.07, 1);
  expect(injector.decide('CreatePolicy')).toEqual({ kind: 'pass', delayMs: 0 });
});

test('named actions are always throttled; an outage drops everything until it ends', () => {
  const injector = createFaultInjector(1, { throttleActions: ['CreatePolicyVersion'] });
  expect(injector.decide('CreatePolicyVersion')).toMatchObject({ kind: 'answer', fault: 'throttled' });
  expect(injector.decide('GetPolicy')).toMatchObject({ kind: 'pass' });
  injector.startOutage(60_000);
  expect(injector.outageActive()).toBe(true);
  expect(injector.decide('GetPolicy')).toMatchObject({ kind: 'drop-before', fault: 'outage' });
  injector.startOutage(0);
  expect(injector.outageActive()).toBe(false);
});

test('the seeded source: reproducible ints in range and a permutation for shuffle', () => {
  const a = seededRandom(9);
  const b = seededRandom(9);
  const ints = Array.from({ length: 100 }, () => a.int(3, 7));
  expect(ints).toEqual(Array.from({ length: 100 }, () => b.int(3, 7)));
  expect(Math.min(...ints)).toBe(3);
  expect(Math.max(...ints)).toBe(7);
  const items = Array.from({ length: 20 }, (_, i) => i);
  expect([...a.shuffle(items)].sort((x, y) => x - y)).toEqual(items);
});
