// The call rate per account (IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT), on the real dev server and moto behind
// the strict proxy: each account's client waits on its own token bucket, so a flood in account B runs at
// B's rate while an event in the default account goes at its own.
import { submitEvent } from '../../src/starter/submit';
import { uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { inAccount } from '../helpers/accounts';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** IAM requests at the proxy that name a policy starting with `prefix` (by ARN or name). */
const requestsNaming = (prefix: string) =>
  services.proxy.requests.filter((r) => {
    const named = r.params.PolicyArn?.split('/').pop() ?? r.params.PolicyName ?? '';
    return named.startsWith(prefix);
  });

test("a flood in account B runs at B's rate; an event in the default account is delayed only by its own", async () => {
  const rate = 3;
  const service = await services.serviceWith({ accounts: { allowed: [B], maxCallsPerSecond: rate } });
  const prefix = `rated-${uniqueSuffix()}`;
  const floodCount = 9;
  const started = Date.now();
  const flood = Array.from({ length: floodCount }, (_, i) =>
    submitEvent(inAccount(upsertEvent(`${prefix}-${i}`), B), service.submitOptions()).then((report) => ({
      report,
      ms: Date.now() - started,
    })),
  );
  // Once B's bucket is empty and its calls queue, an event for the default account.
  await sleep(1_500);
  const name = `prompt-${uniqueSuffix()}`;
  const before = Date.now();
  const prompt = await submitEvent(upsertEvent(name), service.submitOptions());
  const promptMs = Date.now() - before;
  const promptAt = Date.now() - started;
  const flooded = await Promise.all(flood);
  expect(prompt.outcome).toBe('created');
  expect(flooded.map((f) => f.report.outcome)).toEqual(Array(floodCount).fill('created'));

  // B's calls went at its rate: after the first second's worth, one per 1/rate s.
  const floodCalls = requestsNaming(`${prefix}-`).length;
  const floodMs = Math.max(...flooded.map((f) => f.ms));
  expect(floodCalls).toBeGreaterThanOrEqual(floodCount * 2);
  expect(floodMs).toBeGreaterThanOrEqual(((floodCalls - rate) / rate) * 1_000 * 0.9);
  // The default account's event waited for its own tokens only (a full bucket, then its rate), not
  // behind B's queue, which was still being served after it ended.
  const promptCalls = requestsNaming(name).length;
  expect(promptCalls).toBeGreaterThan(0);
  expect(promptMs).toBeLessThan((Math.max(0, promptCalls - rate) / rate) * 1_000 + 4_000);
  expect(flooded.filter((f) => f.ms > promptAt + 2_000).length).toBeGreaterThan(0);
}, 120_000);
