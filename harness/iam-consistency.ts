// IAM's consistency model for the test proxy (iam-proxy.ts), which moto does not have: IAM writes go to
// one control plane and reads are answered by replicas that may lag. After each write to a policy, for
// `lagMs`, reads of that policy answer the state from `lagMs` earlier (NoSuchEntity right after
// CreatePolicy, the old default after a new version, the old tags after TagPolicy, the policy still there
// after DeletePolicy); so do its entry in ListPolicies and, after an attachment or a permissions boundary
// changes, ListEntitiesForPolicy and GetPolicy's counts. Also two faults that depend on it: answers lost
// after IAM applied the write, and a role attached by someone else at the worst moment (the racing
// attacher, whose attachment reads show at once: it models the race between a check and a write).
import { iamErrorResponse, xmlText, type ProxyResponse } from './iam-xml';
import { POLICY_WRITE_ACTIONS, type Forward, type RecordedRequest } from './iam-proxy-types';

/** moto's account. */
const ACCOUNT_ID = '123456789012';

/** Writes that change who uses a policy: ListEntitiesForPolicy, GetPolicy's and ListPolicies' counts. */
const USAGE_WRITES = new Set([
  'AttachRolePolicy',
  'DetachRolePolicy',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'AttachGroupPolicy',
  'DetachGroupPolicy',
  'PutRolePermissionsBoundary',
  'PutUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'DeleteUserPermissionsBoundary',
  // With a PermissionsBoundary only (otherwise they name no policy).
  'CreateRole',
  'CreateUser',
]);

/** Reads of one policy answered by a replica. */
const POLICY_READS = new Set([
  'GetPolicy',
  'GetPolicyVersion',
  'ListPolicyVersions',
  'ListEntitiesForPolicy',
]);

/** The usage filters the snapshot keeps ListEntitiesForPolicy answers for ('' : none). */
const USAGE_FILTERS = ['', 'PermissionsPolicy', 'PermissionsBoundary'];

export interface ConsistencyPlan {
  /** How far replicas lag behind writes to a policy, in ms (0: strongly consistent, as moto). */
  lagMs: number;
}

/** Sends a Query API request of our own and returns the answer (to moto, or as IAM would answer it). */
export type RawQuery = (params: Record<string, string>) => Promise<ProxyResponse>;

/** What reads of one policy answered just before a write: the state a lagging replica still shows. */
interface PolicySnapshot {
  getPolicy: ProxyResponse;
  listVersions: ProxyResponse;
  versions: Map<string, ProxyResponse>;
  /** ListEntitiesForPolicy by PolicyUsageFilter ('' for none). */
  entities: Map<string, ProxyResponse>;
  /** Its entry in ListPolicies; absent when the policy did not exist. */
  listed?: { member: string; path: string; attached: boolean };
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
  /**
   * Called before the request is handled: runs a racing attacher (`raw`: straight to moto) and, for a
   * write, records the state before it (`asIam`: reads answered as IAM's control plane would).
   */
  beforeHandling(request: RecordedRequest, raw: RawQuery, asIam: RawQuery): Promise<void>;
  /** The answer as a lagging replica gives it; `current` is the control plane's answer. */
  replicaForward(request: RecordedRequest, current: Forward): Forward;
  /** Whether the answer to this (handled, successful) request is to be lost. */
  loseAnswer(request: RecordedRequest, answer: ProxyResponse): boolean;
  /** Reads answered from a lagging replica so far. */
  staleReads(): number;
}

export interface ConsistencyOptions {
  /** The policy a user's or role's permissions boundary is now (for Delete*PermissionsBoundary). */
  boundaryOf?: (kind: 'user' | 'role', name: string) => string | undefined;
}

/** The policy ARN a request names (CreatePolicy names it by path and name; boundaries by their policy). */
export function policyArnOf(
  request: RecordedRequest,
  boundaryOf?: ConsistencyOptions['boundaryOf'],
): string | undefined {
  const { params } = request;
  if (params.PolicyArn) return params.PolicyArn;
  if (request.action === 'CreatePolicy' && params.PolicyName) {
    return `arn:aws:iam::${ACCOUNT_ID}:policy${params.Path || '/'}${params.PolicyName}`;
  }
  if (params.PermissionsBoundary) return params.PermissionsBoundary;
  if (request.action === 'DeleteRolePermissionsBoundary') return boundaryOf?.('role', params.RoleName ?? '');
  if (request.action === 'DeleteUserPermissionsBoundary') return boundaryOf?.('user', params.UserName ?? '');
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

const element = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? undefined;

/** The policy's ListPolicies entry, from GetPolicy's answer (ListPolicies carries no tags). */
function listedFrom(getPolicy: ProxyResponse): PolicySnapshot['listed'] {
  const policy = isSuccess(getPolicy) ? /<Policy>([\s\S]*)<\/Policy>/.exec(getPolicy.body)?.[1] : undefined;
  if (policy === undefined) return undefined;
  return {
    member: `<member>${policy.replace(/<Tags>[\s\S]*?<\/Tags>/, '').replace(/<Tags\/>/, '')}</member>`,
    path: element(policy, 'Path') ?? '/',
    attached: Number(element(policy, 'AttachmentCount') ?? '0') > 0,
  };
}

/** ListEntitiesForPolicy's EntityFilter applied to an answer that had none. */
function onlyEntities(response: ProxyResponse, entityFilter: string | undefined): ProxyResponse {
  const kinds = { User: 'PolicyUsers', Role: 'PolicyRoles', Group: 'PolicyGroups' } as const;
  const keep = kinds[entityFilter as keyof typeof kinds];
  if (!keep || !isSuccess(response)) return response;
  let body = response.body;
  for (const list of Object.values(kinds)) {
    if (list !== keep)
      body = body.replace(new RegExp(`<${list}>[\\s\\S]*?</${list}>`), `<${list}></${list}>`);
  }
  return { ...response, body };
}

export function createIamConsistency(
  initial?: ConsistencyPlan,
  options: ConsistencyOptions = {},
): IamConsistency {
  let plan = initial;
  /** Per policy ARN: each write's time and the state just before it, oldest first. */
  const history = new Map<string, { at: number; before: PolicySnapshot }[]>();
  let losses: (LossRule & { left: number })[] = [];
  let attachers: RacingAttacher[] = [];
  let stale = 0;

  async function snapshot(arn: string, asIam: RawQuery): Promise<PolicySnapshot> {
    const getPolicy = await asIam({ Action: 'GetPolicy', PolicyArn: arn });
    const listVersions = await asIam({ Action: 'ListPolicyVersions', PolicyArn: arn });
    const versions = new Map<string, ProxyResponse>();
    if (isSuccess(listVersions)) {
      for (const [, versionId] of listVersions.body.matchAll(/<VersionId>([^<]+)<\/VersionId>/g)) {
        versions.set(
          versionId,
          await asIam({ Action: 'GetPolicyVersion', PolicyArn: arn, VersionId: versionId }),
        );
      }
    }
    const entities = new Map<string, ProxyResponse>();
    for (const filter of USAGE_FILTERS) {
      const query = { Action: 'ListEntitiesForPolicy', PolicyArn: arn };
      entities.set(filter, await asIam(filter ? { ...query, PolicyUsageFilter: filter } : query));
    }
    return { getPolicy, listVersions, versions, entities, listed: listedFrom(getPolicy) };
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

  function policyRead(request: RecordedRequest, arn: string, state: PolicySnapshot): ProxyResponse {
    switch (request.action) {
      case 'GetPolicy':
        return state.getPolicy;
      case 'ListPolicyVersions':
        return state.listVersions;
      case 'ListEntitiesForPolicy':
        return onlyEntities(
          state.entities.get(request.params.PolicyUsageFilter ?? '') ?? state.entities.get('')!,
          request.params.EntityFilter,
        );
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
  }

  /**
   * ListPolicies as a replica answers it: each policy written within the lag as it was before (gone if it
   * did not exist then; if it did, listed on the last page, as it was). Scope, PathPrefix and OnlyAttached
   * are honoured for the policies put back.
   */
  function listPolicies(request: RecordedRequest, current: ProxyResponse, now: number): ProxyResponse {
    if (!isSuccess(current)) return current;
    const { Scope: scope, PathPrefix: prefix = '/', OnlyAttached: onlyAttached } = request.params;
    let body = current.body;
    const lastPage = !/<IsTruncated>true<\/IsTruncated>/.test(body);
    for (const arn of [...history.keys()]) {
      const state = replicaState(arn, now);
      if (!state) continue;
      const arnXml = xmlText(arn);
      body = body.replace(/<member>[\s\S]*?<\/member>/g, (member) =>
        member.includes(`<Arn>${arnXml}</Arn>`) ? '' : member,
      );
      const { listed } = state;
      const wanted =
        listed !== undefined &&
        lastPage &&
        scope !== 'AWS' &&
        listed.path.startsWith(prefix) &&
        (onlyAttached !== 'true' || listed.attached);
      if (wanted) {
        body = body.includes('<Policies/>')
          ? body.replace('<Policies/>', `<Policies>${listed.member}</Policies>`)
          : body.replace('</Policies>', `${listed.member}</Policies>`);
      }
    }
    if (body === current.body) return current;
    stale += 1;
    return { ...current, body };
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
    async beforeHandling(request, raw, asIam) {
      const arn = policyArnOf(request, options.boundaryOf);
      if (arn === undefined) return;
      const attacher = attachers.find(
        (candidate) => candidate.before === request.action && namesPolicy(request, candidate.policyName),
      );
      if (attacher) {
        attachers = attachers.filter((candidate) => candidate !== attacher);
        await raw({ Action: 'AttachRolePolicy', RoleName: attacher.roleName, PolicyArn: arn });
      }
      const write = POLICY_WRITE_ACTIONS.has(request.action) || USAGE_WRITES.has(request.action);
      if (write && (plan?.lagMs ?? 0) > 0) {
        // The state the replicas keep showing for lagMs: read before the write reaches the control plane.
        const before = await snapshot(arn, asIam);
        const writes = history.get(arn) ?? [];
        writes.push({ at: Date.now(), before });
        history.set(arn, writes);
      }
    },
    replicaForward(request, current) {
      if (request.action === 'ListPolicies') {
        return async () => listPolicies(request, await current(), Date.now());
      }
      const arn = policyArnOf(request);
      if (arn === undefined || !POLICY_READS.has(request.action)) return current;
      return async () => {
        const state = replicaState(arn, Date.now());
        if (!state) return current();
        stale += 1;
        return policyRead(request, arn, state);
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
