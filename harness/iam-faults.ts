// Fault injection for the test IAM proxy: decides, per request, whether IAM throttles it, fails it with
// a 5xx, cuts the connection (before or after moto handled it), delays it, or is down altogether.
// Decisions come from a seeded source so a run can be repeated from its seed.
import { iamErrorResponse, type ProxyResponse } from './iam-xml';
import { seededRandom, type SeededRandom } from './seeded-random';

export interface FaultPlan {
  /** Share (0 to 1) of requests answered with IAM's Throttling error (HTTP 400, "Rate exceeded"). */
  throttleRate?: number;
  /** Actions whose every request is throttled while this plan is on. */
  throttleActions?: string[];
  /** Share answered HTTP 500 (ServiceFailure) or 503 (ServiceUnavailable), half each, without reaching moto. */
  serverErrorRate?: number;
  /**
   * Share whose connection is cut without an answer: half of them before moto sees the request, half
   * after moto has done it (the caller cannot tell whether its write happened).
   */
  dropRate?: number;
  /** Added to every request: a fixed delay or one drawn from a range, in ms. */
  latencyMs?: number | { min: number; max: number };
  /** Faults hit only these actions; every action when absent (outages always hit everything). */
  actions?: string[];
}

export const FAULT_KINDS = [
  'throttled',
  'server-error',
  'dropped-before',
  'dropped-after',
  'delayed',
  'outage',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultDecision =
  | { kind: 'pass'; delayMs: number }
  | { kind: 'answer'; fault: FaultKind; response: ProxyResponse; delayMs: number }
  | { kind: 'drop-before'; fault: FaultKind; delayMs: number }
  | { kind: 'drop-after'; delayMs: number };

export interface FaultInjector {
  readonly random: SeededRandom;
  setPlan(plan: FaultPlan | undefined): void;
  /** IAM is unreachable (connections cut at once) for `durationMs` from now. */
  startOutage(durationMs: number): void;
  outageActive(): boolean;
  decide(action: string): FaultDecision;
  /** Faults injected so far, by kind. */
  counts(): Record<FaultKind, number>;
}

function throttling(): ProxyResponse {
  return iamErrorResponse('Throttling', 'Rate exceeded', 400);
}

function serverError(random: SeededRandom): ProxyResponse {
  return random.chance(0.5)
    ? iamErrorResponse(
        'ServiceFailure',
        'The request processing has failed because of an unknown error.',
        500,
      )
    : iamErrorResponse('ServiceUnavailable', 'Service is unavailable.', 503);
}

export function createFaultInjector(seed: number, initialPlan?: FaultPlan): FaultInjector {
  const random = seededRandom(seed);
  let plan = initialPlan;
  let outageUntil = 0;
  const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const note = (kind: FaultKind) => {
    counts[kind] += 1;
  };

  function latency(): number {
    const configured = plan?.latencyMs;
    if (configured === undefined) return 0;
    return typeof configured === 'number' ? configured : random.int(configured.min, configured.max);
  }

  function decide(action: string): FaultDecision {
    if (Date.now() < outageUntil) {
      note('outage');
      return { kind: 'drop-before', fault: 'outage', delayMs: 0 };
    }
    if (plan === undefined || (plan.actions !== undefined && !plan.actions.includes(action))) {
      return { kind: 'pass', delayMs: 0 };
    }
    const delayMs = latency();
    if (delayMs > 0) note('delayed');
    if (plan.throttleActions?.includes(action) || random.chance(plan.throttleRate ?? 0)) {
      note('throttled');
      return { kind: 'answer', fault: 'throttled', response: throttling(), delayMs };
    }
    if (random.chance(plan.serverErrorRate ?? 0)) {
      note('server-error');
      return { kind: 'answer', fault: 'server-error', response: serverError(random), delayMs };
    }
    if (random.chance(plan.dropRate ?? 0)) {
      if (random.chance(0.5)) {
        note('dropped-before');
        return { kind: 'drop-before', fault: 'dropped-before', delayMs };
      }
      note('dropped-after');
      return { kind: 'drop-after', delayMs };
    }
    return { kind: 'pass', delayMs };
  }

  return {
    random,
    setPlan: (next) => {
      plan = next;
    },
    startOutage: (durationMs) => {
      outageUntil = Date.now() + durationMs;
    },
    outageActive: () => Date.now() < outageUntil,
    decide,
    counts: () => ({ ...counts }),
  };
}
