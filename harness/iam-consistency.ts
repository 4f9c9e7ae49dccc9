// IAM's consistency model for the test proxy (iam-proxy.ts), which moto does not have: IAM writes go to
// one control plane and reads are answered by replicas that may lag. After each write to a policy, for
// `lagMs`, reads of that policy answer the state from `lagMs` earlier (NoSuchEntity right after
// CreatePolicy, the old default after a new version, the policy still there after DeletePolicy). Also two
// faults that depend on it: answers lost after IAM applied the write, and a role attached by someone else
// at the worst moment (the racing attacher).
import { iamErrorResponse, type ProxyResponse } from './iam-xml';
import type { Forward, RecordedRequest } from './iam-proxy-types';

/** moto's account. */
const ACCOUNT_ID = '123456789012';

/** Writes that change what reads of one policy answer. */
const POLICY_WRITES = new Set([
  'CreatePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
  'DeletePolicy',
  'TagPolicy',
  'UntagPolicy',
]);

/** Reads of one policy answered by a replica. */
const POLICY_READS = new Set(['GetPolicy', 'GetPolicyVersion', 'ListPolicyVersions']);

export interface ConsistencyPlan {
  /** How far replicas lag behind writes to a policy, in ms (0: strongly consistent, as moto). */
  lagMs: number;
}

/** Sends a Query API request of our own to moto (with the headers of the request being handled). */
export type RawQuery = (params: Record<string, string>) => Promise<ProxyResponse>;

/** What reads of one policy answered just before a write: the state a lagging replica still shows. */
interface PolicySnapshot {
  getPolicy: ProxyResponse;
  listVersions: ProxyResponse;
  versions: Map<string, ProxyResponse>;
}

export interface LossRule {
  action: string;
  /** Only requests naming this policy (by name, as in the ARN or PolicyName). */
  policyName?: string;
  /** How many answers to lose; 1 when absent. */
  times?: number;
}

export interface RacingAttacher {
  policyName: string;
  roleName: string;
  /** The role is attached just before the first request of this action on the policy is handled. */
  before: string;
}

export interface IamConsistency {
  setPlan(plan: ConsistencyPlan | undefined): void;
  /** IAM applies the matching writes but the caller never hears the answer (the connection is cut). */
  loseAnswers(rule: LossRule): void;
  /** Someone else attaches a role to the policy at the moment `before` names. */
  raceAttach(attacher: RacingAttacher): void;
  /** Called before the request is handled: records the pre-write state, runs a racing attacher. */
  beforeHandling(request: RecordedRequest, raw: RawQuery): Promise<void>;
  /** The forward to moto as a lagging replica would answer it. */
  replicaForward(request: RecordedRequest, forward: Forward, raw: RawQuery): Forward;
  /** Whether the answer to this (handled, successful) request is to be lost. */
  loseAnswer(request: RecordedRequest, answer: ProxyResponse): boolean;
  /** Reads answered from a lagging replica so far. */
  staleReads(): number;
}

/** The policy ARN a request names (CreatePolicy names it by path and name). */
export function policyArnOf(request: RecordedRequest): string | undefined {
  const { params } = request;
  if (params.PolicyArn) return params.PolicyArn;
  if (request.action === 'CreatePolicy' && params.PolicyName) {
    return `arn:aws:iam::${ACCOUNT_ID}:policy${params.Path || '/'}${params.PolicyName}`;
  }
  return undefined;
}

function namesPolicy(request: RecordedRequest, policyName: string | undefined): boolean {
  if (policyName === undefined) return true;
  return (policyArnOf(request) ?? '').endsWith(`/${policyName}`);
}

const isSuccess = (response: ProxyResponse) => response.status >= 200 && response.status < 300;

function noSuchPolicy(arn: string): ProxyResponse {
  return iamErrorResponse('NoSuchEntity', `Policy ${arn} was not found.`, 404);
}

export function createIamConsistency(initial?: ConsistencyPlan): IamConsistency {
  let plan = initial;
  /** Per policy ARN: each write's time and the state just before it, oldest first. */
  const history = new Map<string, { at: number; before: PolicySnapshot }[]>();
  let losses: (LossRule & { left: number })[] = [];
  let attachers: RacingAttacher[] = [];
  let stale = 0;

  async function snapshot(arn: string, raw: RawQuery): Promise<PolicySnapshot> {
    const getPolicy = await raw({ Action: 'GetPolicy', PolicyArn: arn });
    const listVersions = await raw({ Action: 'ListPolicyVersions', PolicyArn: arn });
    const versions = new Map<string, ProxyResponse>();
    if (isSuccess(listVersions)) {
      for (const [, versionId] of listVersions.body.matchAll(/<VersionId>([^<]+)<\/VersionId>/g)) {
        versions.set(
          versionId,
          await raw({ Action: 'GetPolicyVersion', PolicyArn: arn, VersionId: versionId }),
        );
      }
    }
    return { getPolicy, listVersions, versions };
  }

  /** The state a replica shows now: before the first write it has not caught up with, or undefined (current). */
  function replicaState(arn: string, now: number): PolicySnapshot | undefined {
    const lagMs = plan?.lagMs ?? 0;
    const writes = history.get(arn);
    if (!writes || lagMs <= 0) return undefined;
    const seenUpTo = now - lagMs;
    // Writes the replica has seen are of no use any more.
    while (writes.length > 0 && writes[0].at <= seenUpTo) writes.shift();
    if (writes.length === 0) history.delete(arn);
    return writes[0]?.before;
  }

  return {
    setPlan: (next) => {
      plan = next;
      if (!next || next.lagMs <= 0) history.clear();
    },
    loseAnswers: (rule) => {
      losses.push({ ...rule, left: rule.times ?? 1 });
    },
    raceAttach: (attacher) => {
      attachers.push(attacher);
    },
    async beforeHandling(request, raw) {
      const arn = policyArnOf(request);
      if (arn === undefined) return;
      const attacher = attachers.find(
        (candidate) => candidate.before === request.action && namesPolicy(request, candidate.policyName),
      );
      if (attacher) {
        attachers = attachers.filter((candidate) => candidate !== attacher);
        await raw({ Action: 'AttachRolePolicy', RoleName: attacher.roleName, PolicyArn: arn });
      }
      if (POLICY_WRITES.has(request.action) && (plan?.lagMs ?? 0) > 0) {
        // The state the replicas keep showing for lagMs: read from moto before the write reaches it.
        const before = await snapshot(arn, raw);
        const writes = history.get(arn) ?? [];
        writes.push({ at: Date.now(), before });
        history.set(arn, writes);
      }
    },
    replicaForward(request, forward) {
      const arn = policyArnOf(request);
      if (arn === undefined || !POLICY_READS.has(request.action)) return forward;
      return async () => {
        const state = replicaState(arn, Date.now());
        if (!state) return forward();
        stale += 1;
        switch (request.action) {
          case 'GetPolicy':
            return state.getPolicy;
          case 'ListPolicyVersions':
            return state.listVersions;
          default:
            return (
              state.versions.get(request.params.VersionId ?? '') ??
              (isSuccess(state.getPolicy)
                ? iamErrorResponse(
                    'NoSuchEntity',
                    `Policy ${arn} version ${request.params.VersionId} does not exist.`,
                    404,
                  )
                : noSuchPolicy(arn))
            );
        }
      };
    },
    loseAnswer(request, answer) {
      if (!isSuccess(answer)) return false;
      const rule = losses.find(
        (candidate) => candidate.action === request.action && namesPolicy(request, candidate.policyName),
      );
      if (!rule) return false;
      rule.left -= 1;
      if (rule.left <= 0) losses = losses.filter((candidate) => candidate !== rule);
      return true;
    },
    staleReads: () => stale,
  };
}
