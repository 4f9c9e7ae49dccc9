// A loopback HTTP proxy in front of moto: it records every AWS Query request (Action and parameters)
// and lets a test answer chosen requests itself. Optionally it behaves like real IAM where moto is
// lenient (`strict`, see strict-iam.ts) and injects faults (`faults`, see iam-faults.ts): throttling,
// 5xx, cut connections, latency and outages, drawn from a seeded source.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { readBody } from './http';
import type { AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector, type FaultKind, type FaultPlan } from './iam-faults';
import { iamErrorResponse, type ProxyResponse } from './iam-xml';
import { createStrictIam, type StrictIam } from './strict-iam';
import {
  createIamConsistency,
  type ConsistencyPlan,
  type IamConsistency,
  type LossRule,
  type RacingAttacher,
} from './iam-consistency';
import type { Forward, RecordedRequest } from './iam-proxy-types';

export { iamErrorResponse, urlEncodeDocuments, type ProxyResponse } from './iam-xml';
export type { FaultKind, FaultPlan } from './iam-faults';
export type { Forward, RecordedRequest } from './iam-proxy-types';
export type { ConsistencyPlan, LossRule, RacingAttacher } from './iam-consistency';

/** A rule's answer that cuts the connection instead of answering (the caller sees a network error). */
export const DROP_CONNECTION: ProxyResponse = { status: 0, body: '' };

export interface ProxyRule {
  action: string;
  /** Only requests whose parameters pass this test; all of the action's requests when absent. */
  when?: (params: Record<string, string>) => boolean;
  /** How many matching requests the rule answers before it lapses; unlimited when absent. */
  times?: number;
  /** `forward` handles the request as the proxy would without the rule (strict, lagging if so set). */
  respond: (request: RecordedRequest, forward: Forward) => ProxyResponse | Promise<ProxyResponse>;
}

/** Whether a request names the policy `name` (its PolicyArn ends with it), for a rule's `when`. */
export function forPolicyNamed(name: string): (params: Record<string, string>) => boolean {
  return (params) => (params.PolicyArn ?? '').endsWith(`/${name}`);
}

/** Every `action` on the policy `name` answered with IAM's 503 until the rule is removed. */
export function unavailableForPolicy(action: string, name: string): ProxyRule {
  return {
    action,
    when: forPolicyNamed(name),
    respond: () => iamErrorResponse('ServiceUnavailable', 'Service is unavailable.', 503),
  };
}

export interface IamProxyOptions {
  /**
   * Answer as real IAM where moto is lenient (URL-encoded documents, DeleteConflict, ...), for the default
   * account: requests signed with an assumed role's session (another account) go to moto as they are.
   */
  strict?: boolean;
  /** Faults to inject from the start; change them later with setFaults. */
  faults?: FaultPlan;
  /** Seed of the fault decisions (default 1). */
  seed?: number;
  /** Keep every request's parameters (default true); long chaos runs keep only the counts. */
  recordParams?: boolean;
  /** Replicas that lag behind writes (see iam-consistency.ts); strongly consistent when absent. */
  consistency?: ConsistencyPlan;
}

export interface IamProxy {
  /** http://127.0.0.1:port, for the SDK's `endpoint`. */
  endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  actions(): string[];
  count(action: string): number;
  /** Requests by action since the start (clearRequests resets it too). */
  countsByAction(): Record<string, number>;
  /** All requests since the start or the last clearRequests, faulted ones included. */
  totalRequests(): number;
  clearRequests(): void;
  addRule(rule: ProxyRule): void;
  clearRules(): void;
  setFaults(plan: FaultPlan | undefined): void;
  /** IAM is unreachable for `durationMs` from now: every connection is cut. */
  startOutage(durationMs: number): void;
  /** Faults injected so far, by kind. */
  faultCounts(): Record<FaultKind, number>;
  /** How far IAM's read replicas lag behind writes to a policy (undefined: not at all). */
  setConsistency(plan: ConsistencyPlan | undefined): void;
  /** IAM applies the matching writes, but their answers are lost (the connection is cut). */
  loseAnswers(rule: LossRule): void;
  /** Someone else attaches a role to the policy just before the request `before` names is handled. */
  raceAttach(attacher: RacingAttacher): void;
  /** Reads answered from a lagging replica so far. */
  staleReads(): number;
  /** What strict mode has seen set as permissions boundaries (empty when not strict). */
  boundaries(): Map<string, { kind: 'user' | 'role'; name: string }[]>;
  close(): Promise<void>;
}

function forwardTo(
  target: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<ProxyResponse> {
  const outgoing = { ...headers, host: target.host, 'content-length': String(body.length) };
  delete outgoing['transfer-encoding'];
  return new Promise((resolve, reject) => {
    const upstream = request(
      { hostname: target.hostname, port: target.port, method, path, headers: outgoing },
      (response) => {
        readBody(response).then((data) => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (
              typeof value === 'string' &&
              !['content-length', 'transfer-encoding', 'connection'].includes(name)
            ) {
              responseHeaders[name] = value;
            }
          }
          resolve({
            status: response.statusCode ?? 502,
            body: data.toString('utf8'),
            headers: responseHeaders,
          });
        }, reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a proxy on a free loopback port that forwards to `target` (moto's http://host:port). */
export async function startIamProxy(target: string, options: IamProxyOptions = {}): Promise<IamProxy> {
  const targetUrl = new URL(target);
  const requests: RecordedRequest[] = [];
  const countByAction = new Map<string, number>();
  let total = 0;
  let rules: (ProxyRule & { used: number })[] = [];
  const faults: FaultInjector = createFaultInjector(options.seed ?? 1, options.faults);
  const strict: StrictIam | undefined = options.strict ? createStrictIam(target) : undefined;
  const recordParams = options.recordParams ?? true;
  const consistency: IamConsistency = createIamConsistency(options.consistency, {
    boundaryOf: (kind, name) => strict?.boundaryOf(kind, name),
  });

  /** The control plane's answer: moto's, made strict when so set. */
  function asIam(recorded: RecordedRequest, toMoto: Forward): Promise<ProxyResponse> {
    if (!strict) return toMoto();
    return strict.handle(recorded, toMoto).then((answer) => answer ?? toMoto());
  }

  function answerFor(recorded: RecordedRequest, forward: Forward): Promise<ProxyResponse> {
    const rule = rules.find(
      (candidate) =>
        candidate.action === recorded.action &&
        (candidate.times === undefined || candidate.used < candidate.times) &&
        (candidate.when === undefined || candidate.when(recorded.params)),
    );
    if (rule) {
      rule.used += 1;
      return Promise.resolve(rule.respond(recorded, forward));
    }
    return forward();
  }

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      const action = params.Action ?? '';
      const recorded: RecordedRequest = { action, params: recordParams ? params : {} };
      requests.push(recorded);
      total += 1;
      countByAction.set(action, (countByAction.get(action) ?? 0) + 1);

      const decision = faults.decide(action);
      if (decision.delayMs > 0) {
        recorded.fault = 'delayed';
        await sleep(decision.delayMs);
      }
      if (decision.kind === 'drop-before') {
        recorded.fault = decision.fault;
        incoming.socket.destroy();
        return;
      }
      if (decision.kind === 'answer') {
        recorded.fault = decision.fault;
        send(decision.response);
        return;
      }
      const toMoto = () =>
        forwardTo(targetUrl, incoming.method ?? 'POST', incoming.url ?? '/', incoming.headers, body);
      // The proxy's own look-ups (snapshots, the racing attacher), signed as the request being handled.
      const raw = (query: Record<string, string>) =>
        forwardTo(
          targetUrl,
          'POST',
          '/',
          incoming.headers,
          Buffer.from(new URLSearchParams({ Version: '2010-05-08', ...query }).toString(), 'utf8'),
        );
      // Reads of the proxy's own, answered as IAM's control plane would (the replicas' snapshots).
      const rawAsIam = (query: Record<string, string>) =>
        asIam({ action: query.Action ?? '', params: { Version: '2010-05-08', ...query } }, () => raw(query));
      const full = { ...recorded, params };
      await consistency.beforeHandling(full, raw, rawAsIam);
      // Strict mode looks IAM up as the default account; a request signed with a role's session (another
      // account, src/iam/account-clients.ts) goes to moto as it is.
      const inAnotherAccount = incoming.headers['x-amz-security-token'] !== undefined;
      const forward = consistency.replicaForward(full, () =>
        inAnotherAccount ? toMoto() : asIam(full, toMoto),
      );
      const answer = await answerFor(full, forward);
      if (answer === DROP_CONNECTION || consistency.loseAnswer(full, answer)) {
        if (answer !== DROP_CONNECTION) recorded.fault = 'dropped-after';
        incoming.socket.destroy();
        return;
      }
      if (decision.kind === 'drop-after') {
        // moto did the work; the caller never hears of it.
        recorded.fault = 'dropped-after';
        incoming.socket.destroy();
        return;
      }
      send(answer);

      function send(response: ProxyResponse): void {
        outgoing.writeHead(response.status, {
          'content-type': 'text/xml',
          ...response.headers,
          'content-length': String(Buffer.byteLength(response.body)),
        });
        outgoing.end(response.body);
      }
    })().catch((error: unknown) => {
      if (outgoing.headersSent || outgoing.destroyed) return;
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`iam-proxy: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    actions: () => requests.map((recorded) => recorded.action),
    count: (action) => countByAction.get(action) ?? 0,
    countsByAction: () => Object.fromEntries(countByAction),
    totalRequests: () => total,
    clearRequests: () => {
      requests.length = 0;
      countByAction.clear();
      total = 0;
    },
    addRule: (rule) => {
      rules.push({ ...rule, used: 0 });
    },
    clearRules: () => {
      rules = [];
    },
    setFaults: (plan) => faults.setPlan(plan),
    startOutage: (durationMs) => faults.startOutage(durationMs),
    faultCounts: () => faults.counts(),
    setConsistency: (plan) => consistency.setPlan(plan),
    loseAnswers: (rule) => consistency.loseAnswers(rule),
    raceAttach: (attacher) => consistency.raceAttach(attacher),
    staleReads: () => consistency.staleReads(),
    boundaries: () => strict?.boundaries() ?? new Map(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
