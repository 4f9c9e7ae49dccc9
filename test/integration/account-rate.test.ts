// The call rate per account (IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT), on the real dev server and moto behind
// the strict proxy: each account's client waits on its own token bucket, so a flood in account B runs at
// B's rate while an event in the default account goes at its own.
import { uniqueSuffix } from '../../harness/env';
import { historyOf, type HistoryEvent } from '../../harness/history';
import { policyWorkflowId } from '../../src/domain/ids';
import { floodThenPrompt } from '../helpers/accounts';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';

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
  // Once the flood holds B's calls (or has emptied its bucket), an event for the default account.
  const { prompt, promptMs, promptAt, flooded } = await floodThenPrompt(service.submitOptions(), {
    account: B,
    prefix,
    count: floodCount,
    waitMs: 1_500,
  });
  expect(prompt.outcome).toBe('created');
  expect(flooded.map((f) => f.report.outcome)).toEqual(Array(floodCount).fill('created'));

  // B's calls went at its rate: after the first second's worth, one per 1/rate s.
  const floodCalls = requestsNaming(`${prefix}-`).length;
  const floodMs = Math.max(...flooded.map((f) => f.ms));
  expect(floodCalls).toBeGreaterThanOrEqual(floodCount * 2);
  expect(floodMs).toBeGreaterThanOrEqual(((floodCalls - rate) / rate) * 1_000 * 0.9);
  // The default account's event waited for its own tokens only (a full bucket, then its rate), not
  // behind B's queue, which was still being served after it ended.
  const promptCalls = requestsNaming(prompt.policyName!).length;
  expect(promptCalls).toBeGreaterThan(0);
  expect(promptMs).toBeLessThan((Math.max(0, promptCalls - rate) / rate) * 1_000 + 4_000);
  expect(flooded.filter((f) => f.ms > promptAt + 2_000).length).toBeGreaterThan(0);
}, 120_000);

/** The activity types the history scheduled as ordinary activities (not local ones). */
const scheduledActivities = (events: HistoryEvent[]) =>
  events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

test("a flood waiting for B's rate holds no workflow task slots: the default account's event goes at once", async () => {
  // A worker with 20 workflow task slots, 10 of them the SDK's polls, and 5 deliveries that may wait (as
  // src/config/worker.ts sizes them). Were B's reads to wait for B's tokens inside their workflow tasks,
  // B's 40 policy workflows would hold the rest while they wait, and the prompt event would wait with them
  // (8.8 s measured on a quiet machine with the reads waiting, 0.2 s without). The histories below show
  // the mechanism; the time only guards against gross delay, the dev server being shared with other tests.
  const rate = 5;
  const service = await services.serviceWith({
    accounts: { allowed: [B], maxCallsPerSecond: rate },
    tuning: { maxConcurrentWorkflowTaskExecutions: 20, maxConcurrentLocalActivityExecutions: 40 },
    delivery: { maxWaitingDeliveries: 5 },
  });
  const prefix = `slots-${uniqueSuffix()}`;
  const floodCount = 40;
  const { prompt, promptMs, promptAt, flooded } = await floodThenPrompt(service.submitOptions(), {
    account: B,
    prefix,
    count: floodCount,
    waitMs: 2_000,
  });
  expect(prompt.outcome).toBe('created');
  expect(flooded.map((f) => f.report.outcome)).toEqual(Array(floodCount).fill('created'));
  // The prompt event went long before B's queue was through (B's 40 creates need 80 or more IAM calls at 5 a second).
  // The bound only catches a hang: it took 20.8 s once with other users' load at 6.7 on the 2 cores, and the
  // mechanism is what the histories below show.
  expect(promptMs).toBeLessThan(30_000);
  expect(flooded.filter((f) => f.ms > promptAt + 2_000).length).toBeGreaterThan(0);

  // How: B's reads that found B's calls waiting went on as ordinary activities (the local attempt gave
  // way at once); the prompt's read, in an account with nothing waiting, stayed local.
  const floodHistories = await Promise.all(
    flooded.map((_, i) => historyOf(service.client, policyWorkflowId(`${prefix}-${i}`, B))),
  );
  const handedOver = floodHistories.filter((events) => scheduledActivities(events).includes('inspectPolicy'));
  // (All 40 measured; none with the reads waiting.)
  expect(handedOver.length).toBeGreaterThanOrEqual(floodCount / 2);
  const promptHistory = await historyOf(service.client, policyWorkflowId(prompt.policyName!));
  expect(scheduledActivities(promptHistory)).not.toContain('inspectPolicy');
}, 120_000);
