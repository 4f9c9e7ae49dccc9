// Real IAM's strictness where moto is lenient, for the proxy in iam-proxy.ts. Given a request, it either
// answers it itself (an error IAM would send, or an answer moto gets wrong) or lets it through to moto,
// sometimes altering moto's answer. Its own look-ups go straight to moto and are not recorded.
import {
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  paginateListPolicies,
} from '@aws-sdk/client-iam';
import { iamErrorResponse, iamResponse, urlEncodeDocuments, xmlText, type ProxyResponse } from './iam-xml';
import type { Forward, RecordedRequest } from './iam-proxy-types';

/** IAM's limit for a managed policy document, in characters without white space. */
export const IAM_DOCUMENT_SIZE_LIMIT = 6144;
/** IAM's limit of tags on one policy: moto checks it per request only, not against the tags already there. */
export const IAM_TAGS_PER_POLICY = 50;
/** moto answers at most 100 roles per listing unless asked for more (its list_roles default). */
const MOTO_LISTING_LIMIT = 1000;

type EntityKind = 'user' | 'role' | 'group';

interface Entity {
  kind: EntityKind;
  name: string;
  id: string;
}

export interface StrictIam {
  /** The answer to send, or undefined to forward the request to moto unchanged. */
  handle(request: RecordedRequest, forward: Forward): Promise<ProxyResponse | undefined>;
  /** Policy ARNs the proxy has seen set as a permissions boundary, with who uses them. */
  boundaries(): Map<string, { kind: 'user' | 'role'; name: string }[]>;
  /** The policy a user's or role's permissions boundary is now, if any. */
  boundaryOf(kind: 'user' | 'role', name: string): string | undefined;
}

function isSuccess(response: ProxyResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** The tags of a Query API request (`Tags.member.1.Key`, `Tags.member.1.Value`, ...). */
function requestTags(params: Record<string, string>): { key: string; value: string }[] {
  const tags: { key: string; value: string }[] = [];
  for (let n = 1; params[`Tags.member.${n}.Key`] !== undefined; n += 1) {
    tags.push({ key: params[`Tags.member.${n}.Key`] ?? '', value: params[`Tags.member.${n}.Value`] ?? '' });
  }
  return tags;
}

function tagQuotaExceeded(): ProxyResponse {
  return iamErrorResponse(
    'LimitExceeded',
    `Cannot exceed quota for TagsPerPolicy: ${IAM_TAGS_PER_POLICY}`,
    409,
  );
}

function nonWhitespaceLength(text: string): number {
  return text.replace(/\s/g, '').length;
}

/** A lock so a check and the write it guards (CreatePolicy, DeletePolicy) are atomic, as in IAM. */
function createLock(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

function entitiesXml(entities: Entity[]): string {
  const members = (kind: EntityKind, field: string) =>
    entities
      .filter((entity) => entity.kind === kind)
      .map(
        (entity) =>
          `<member><${field}Name>${xmlText(entity.name)}</${field}Name><${field}Id>${xmlText(entity.id)}</${field}Id></member>`,
      )
      .join('');
  return (
    `<PolicyRoles>${members('role', 'Role')}</PolicyRoles>` +
    `<PolicyGroups>${members('group', 'Group')}</PolicyGroups>` +
    `<PolicyUsers>${members('user', 'User')}</PolicyUsers>` +
    '<IsTruncated>false</IsTruncated>'
  );
}

export function createStrictIam(motoEndpoint: string): StrictIam {
  const moto = new IAMClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'strict-iam', secretAccessKey: 'strict-iam' },
  });
  const withPolicyLock = createLock();
  /** Boundary users by policy ARN: moto does not track them in ListEntitiesForPolicy. */
  const boundaryUsers = new Map<string, Map<string, { kind: 'user' | 'role'; name: string }>>();
  /** The boundary each user or role has, so a new one replaces it. */
  const boundaryOf = new Map<string, string>();

  const entityKey = (kind: string, name: string) => `${kind}/${name}`;
  function setBoundary(kind: 'user' | 'role', name: string, policyArn: string): void {
    clearBoundary(kind, name);
    const users = boundaryUsers.get(policyArn) ?? new Map<string, { kind: 'user' | 'role'; name: string }>();
    users.set(entityKey(kind, name), { kind, name });
    boundaryUsers.set(policyArn, users);
    boundaryOf.set(entityKey(kind, name), policyArn);
  }
  function clearBoundary(kind: 'user' | 'role', name: string): void {
    const previous = boundaryOf.get(entityKey(kind, name));
    if (previous === undefined) return;
    boundaryUsers.get(previous)?.delete(entityKey(kind, name));
    boundaryOf.delete(entityKey(kind, name));
  }

  async function attachedEntities(policyArn: string): Promise<Entity[]> {
    const answer = await moto.send(
      new ListEntitiesForPolicyCommand({ PolicyArn: policyArn, MaxItems: MOTO_LISTING_LIMIT }),
    );
    return [
      ...(answer.PolicyUsers ?? []).map((u) => ({
        kind: 'user' as const,
        name: u.UserName ?? '',
        id: u.UserId ?? '',
      })),
      ...(answer.PolicyRoles ?? []).map((r) => ({
        kind: 'role' as const,
        name: r.RoleName ?? '',
        id: r.RoleId ?? '',
      })),
      ...(answer.PolicyGroups ?? []).map((g) => ({
        kind: 'group' as const,
        name: g.GroupName ?? '',
        id: g.GroupId ?? '',
      })),
    ];
  }

  function boundaryEntities(policyArn: string): Entity[] {
    return [...(boundaryUsers.get(policyArn)?.values() ?? [])].map((entity) => ({
      ...entity,
      id: `BOUNDARY${entity.name.toUpperCase()}`,
    }));
  }

  async function policyExists(policyArn: string): Promise<boolean> {
    try {
      await moto.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      return true;
    } catch {
      return false;
    }
  }

  /** ListEntitiesForPolicy as IAM answers it: PolicyUsageFilter and EntityFilter honoured. */
  async function listEntities(params: Record<string, string>): Promise<ProxyResponse> {
    const policyArn = params.PolicyArn ?? '';
    if (!(await policyExists(policyArn))) {
      return iamErrorResponse(
        'NoSuchEntity',
        `Policy ${policyArn} does not exist or is not attachable.`,
        404,
      );
    }
    const usage = params.PolicyUsageFilter;
    const found = [
      ...(usage === 'PermissionsBoundary' ? [] : await attachedEntities(policyArn)),
      ...(usage === 'PermissionsPolicy' ? [] : boundaryEntities(policyArn)),
    ];
    const kindFilter = { User: 'user', Role: 'role', Group: 'group' }[params.EntityFilter ?? ''];
    const unique = new Map<string, Entity>();
    for (const entity of found) {
      if (kindFilter === undefined || entity.kind === kindFilter)
        unique.set(entityKey(entity.kind, entity.name), entity);
    }
    return iamResponse('ListEntitiesForPolicy', entitiesXml([...unique.values()]));
  }

  async function nameTaken(policyName: string): Promise<string | undefined> {
    const wanted = policyName.toLowerCase();
    const pages = paginateListPolicies({ client: moto, pageSize: MOTO_LISTING_LIMIT }, { Scope: 'Local' });
    for await (const page of pages) {
      const match = (page.Policies ?? []).find((policy) => policy.PolicyName?.toLowerCase() === wanted);
      if (match) return match.PolicyName;
    }
    return undefined;
  }

  function tooLarge(document: string | undefined): ProxyResponse | undefined {
    if (document === undefined || nonWhitespaceLength(document) <= IAM_DOCUMENT_SIZE_LIMIT) return undefined;
    return iamErrorResponse(
      'LimitExceeded',
      `Cannot exceed quota for PolicySize: ${IAM_DOCUMENT_SIZE_LIMIT}`,
      409,
    );
  }

  async function createPolicy(params: Record<string, string>, forward: Forward): Promise<ProxyResponse> {
    const refusal = tooLarge(params.PolicyDocument);
    if (refusal) return refusal;
    if (requestTags(params).length > IAM_TAGS_PER_POLICY) return tagQuotaExceeded();
    return withPolicyLock(async () => {
      const taken = await nameTaken(params.PolicyName ?? '');
      if (taken !== undefined) {
        return iamErrorResponse(
          'EntityAlreadyExists',
          `A policy called ${taken} already exists. Duplicate names are not allowed.`,
          409,
        );
      }
      return forward();
    });
  }

  /** IAM counts the tags the policy has with the new ones (keys ignoring case); moto only the new ones. */
  async function tagPolicy(params: Record<string, string>, forward: Forward): Promise<ProxyResponse> {
    const policyArn = params.PolicyArn ?? '';
    return withPolicyLock(async () => {
      let present: string[];
      try {
        const { Policy: policy } = await moto.send(new GetPolicyCommand({ PolicyArn: policyArn }));
        present = (policy?.Tags ?? []).map((tag) => (tag.Key ?? '').toLowerCase());
      } catch {
        return forward();
      }
      const keys = new Set([...present, ...requestTags(params).map((tag) => tag.key.toLowerCase())]);
      return keys.size > IAM_TAGS_PER_POLICY ? tagQuotaExceeded() : forward();
    });
  }

  async function deletePolicy(params: Record<string, string>, forward: Forward): Promise<ProxyResponse> {
    const policyArn = params.PolicyArn ?? '';
    return withPolicyLock(async () => {
      if (!(await policyExists(policyArn))) return forward();
      if ((await attachedEntities(policyArn)).length > 0) {
        return iamErrorResponse('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
      }
      if (boundaryEntities(policyArn).length > 0) {
        return iamErrorResponse(
          'DeleteConflict',
          'Cannot delete a policy used as a permissions boundary for entities.',
          409,
        );
      }
      const { Versions = [] } = await moto.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
      if (Versions.some((version) => version.IsDefaultVersion !== true)) {
        return iamErrorResponse(
          'DeleteConflict',
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
          409,
        );
      }
      return forward();
    });
  }

  /** moto has no user permissions boundaries: answered here after checking the user exists. */
  async function userBoundary(action: string, params: Record<string, string>): Promise<ProxyResponse> {
    const userName = params.UserName ?? '';
    try {
      await moto.send(new GetUserCommand({ UserName: userName }));
    } catch {
      return iamErrorResponse('NoSuchEntity', `The user with name ${userName} cannot be found.`, 404);
    }
    if (action === 'PutUserPermissionsBoundary')
      setBoundary('user', userName, params.PermissionsBoundary ?? '');
    else clearBoundary('user', userName);
    return iamResponse(action, undefined);
  }

  /** Forwards, then remembers what a successful request did to boundaries. */
  async function forwardNoting(forward: Forward, note: () => void): Promise<ProxyResponse> {
    const response = await forward();
    if (isSuccess(response)) note();
    return response;
  }

  async function handle(request: RecordedRequest, forward: Forward): Promise<ProxyResponse | undefined> {
    const { action, params } = request;
    switch (action) {
      case 'GetPolicyVersion': {
        // Real IAM returns documents URL-encoded (RFC 3986); moto returns raw JSON.
        const response = await forward();
        return isSuccess(response) ? urlEncodeDocuments(response) : response;
      }
      case 'GetPolicy': {
        // Real IAM counts permissions-boundary uses in GetPolicy; moto does not track boundaries.
        const response = await forward();
        if (!isSuccess(response)) return response;
        const count = boundaryEntities(params.PolicyArn ?? '').length;
        return {
          ...response,
          body: response.body.replace(
            '</AttachmentCount>',
            `</AttachmentCount><PermissionsBoundaryUsageCount>${count}</PermissionsBoundaryUsageCount>`,
          ),
        };
      }
      case 'ListPolicyVersions': {
        // Real IAM lists versions without their documents; moto includes them.
        const response = await forward();
        return { ...response, body: response.body.replace(/<Document>[\s\S]*?<\/Document>/g, '') };
      }
      case 'CreatePolicy':
        return createPolicy(params, forward);
      case 'TagPolicy':
        return tagPolicy(params, forward);
      case 'CreatePolicyVersion':
        return tooLarge(params.PolicyDocument) ?? forward();
      case 'DeletePolicy':
        return deletePolicy(params, forward);
      case 'ListEntitiesForPolicy':
        return listEntities(params);
      case 'PutRolePermissionsBoundary':
        return forwardNoting(forward, () =>
          setBoundary('role', params.RoleName ?? '', params.PermissionsBoundary ?? ''),
        );
      case 'DeleteRolePermissionsBoundary':
        return forwardNoting(forward, () => clearBoundary('role', params.RoleName ?? ''));
      case 'PutUserPermissionsBoundary':
      case 'DeleteUserPermissionsBoundary':
        return userBoundary(action, params);
      case 'CreateRole':
      case 'CreateUser': {
        const boundary = params.PermissionsBoundary;
        if (!boundary) return undefined;
        const kind = action === 'CreateRole' ? 'role' : 'user';
        const name = (kind === 'role' ? params.RoleName : params.UserName) ?? '';
        return forwardNoting(forward, () => setBoundary(kind, name, boundary));
      }
      case 'DeleteRole':
        return forwardNoting(forward, () => clearBoundary('role', params.RoleName ?? ''));
      case 'DeleteUser':
        return forwardNoting(forward, () => clearBoundary('user', params.UserName ?? ''));
      default:
        return undefined;
    }
  }

  return {
    handle,
    boundaryOf: (kind, name) => boundaryOf.get(entityKey(kind, name)),
    boundaries: () =>
      new Map(
        [...boundaryUsers]
          .filter(([, users]) => users.size > 0)
          .map(([arn, users]) => [arn, [...users.values()]]),
      ),
  };
}
