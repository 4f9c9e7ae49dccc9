// Building blocks of the reliability scenarios: planned events and what they should leave behind,
// submitting them (library or CLI processes), collecting every event's final outcome from Temporal,
// and checking IAM's final state. Used by the scenario tests and by scripts/chaos.ts.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetPolicyCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  paginateListPolicies,
  type Policy,
} from '@aws-sdk/client-iam';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { decodePolicyDocument, documentsEqual } from '../src/domain/document';
import { versionNumber } from '../src/iam/reads';
import { policyWorkflowId } from '../src/domain/ids';
import { compareSequence } from '../src/domain/ordering';
import { APPLIED_OUTCOMES, type PolicyState } from '../src/domain/policy-queue';
import type { EventResult, Outcome, PolicyDocument } from '../src/domain/types';
import { eventWorkflowId } from '../src/temporal/event-identity';
import { submitEvent, type SubmitReport } from '../src/starter/submit';
import type { eventWorkflow } from '../src/workflows/event-workflow';
import { policyStateQuery } from '../src/messages/workflow-messages';
import { cliArguments } from './entry-points';
import { tempDir } from './servers';

export const ACCOUNT_ID = '123456789012';
export const MANAGED_BY = { key: 'managed-by', value: 'iam-policy-events' };
const REPO = join(__dirname, '..');

/** One event of a scenario, with what the checks need to know about it. */
export interface PlannedEvent {
  raw: Record<string, unknown>;
  source: string;
  id: string;
  workflowId: string;
  /** The policy's name as this event spells it; `policyKey` is the lower-cased one. */
  policyName: string;
  policyKey: string;
  type: 'iam.policy.upsert' | 'iam.policy.delete';
  sequence: string;
  document?: PolicyDocument;
}

/** A document that differs for every (policy, variant): content changes are real changes. */
export function documentFor(policyKey: string, variant: number): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${policyKey}`, `arn:aws:s3:::${policyKey}/v${variant}/*`],
      },
    ],
  };
}

export function plannedUpsert(
  source: string,
  id: string,
  policyName: string,
  sequence: string,
  document: PolicyDocument,
): PlannedEvent {
  return {
    raw: {
      specversion: '1.0',
      id,
      source,
      type: 'iam.policy.upsert',
      sequence,
      data: { policyName, document },
    },
    source,
    id,
    workflowId: eventWorkflowId(source, id),
    policyName,
    policyKey: policyName.toLowerCase(),
    type: 'iam.policy.upsert',
    sequence,
    document,
  };
}

export function plannedDelete(
  source: string,
  id: string,
  policyName: string,
  sequence: string,
): PlannedEvent {
  return {
    raw: { specversion: '1.0', id, source, type: 'iam.policy.delete', sequence, data: { policyName } },
    source,
    id,
    workflowId: eventWorkflowId(source, id),
    policyName,
    policyKey: policyName.toLowerCase(),
    type: 'iam.policy.delete',
    sequence,
  };
}

export function byPolicy(events: PlannedEvent[]): Map<string, PlannedEvent[]> {
  const grouped = new Map<string, PlannedEvent[]>();
  for (const event of events) grouped.set(event.policyKey, [...(grouped.get(event.policyKey) ?? []), event]);
  for (const list of grouped.values()) list.sort((a, b) => compareSequence(a.sequence, b.sequence));
  return grouped;
}

/** Each policy ends as its newest event (by sequence) says: every event states the whole desired state. */
export function newestByPolicy(events: PlannedEvent[]): Map<string, PlannedEvent> {
  return new Map([...byPolicy(events)].map(([key, list]) => [key, list[list.length - 1]]));
}

// ---- running things ----

/** Runs `work` over `items`, at most `concurrency` at a time; results in input order. */
export async function mapPool<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function connectClient(address: string): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address }) });
}

/**
 * Submits one delivery through the starter library, retrying when Temporal cannot be reached (as an
 * upstream system redelivers): a start that happened before the error then reports `duplicate`.
 */
export async function submitDelivery(
  client: Client,
  taskQueue: string,
  event: PlannedEvent,
  options: { wait: boolean; retryForMs?: number },
): Promise<SubmitReport & { retries: number }> {
  const deadline = Date.now() + (options.retryForMs ?? 0);
  for (let retries = 0; ; retries += 1) {
    try {
      const report = await submitEvent(event.raw, {
        client,
        taskQueue,
        wait: options.wait,
        reservedTagKeys: [MANAGED_BY.key],
      });
      return { ...report, retries };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(Math.min(2000, 200 * 2 ** Math.min(retries, 4)));
    }
  }
}

/** The starter CLI as a separate process: NDJSON in (a file), one JSON line per delivery out. */
export function runStarterCli(
  lines: string[],
  env: Record<string, string>,
  args: string[] = ['--wait'],
  timeoutMs = 300_000,
): Promise<{ code: number | null; reports: Record<string, unknown>[]; stderr: string; timedOut: boolean }> {
  const directory = tempDir('starter-input-');
  const file = join(directory, 'events.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArguments('src/starter.ts', ['submit', file, ...args]), {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(directory, { recursive: true, force: true });
      const reports = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, reports, stderr, timedOut });
    });
  });
}

// ---- outcomes ----

export type FinalOutcome =
  { outcome: Outcome; reason?: string; result?: EventResult } | { outcome: 'missing'; reason: string };

/** `promise`'s value, or undefined once `ms` have passed (the timer is cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(ms, 0));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every event's final outcome, read from its event workflow; `missing` when none came within the time. */
export async function finalOutcomes(
  client: Client,
  events: PlannedEvent[],
  timeoutMs: number,
): Promise<Map<string, FinalOutcome>> {
  const deadline = Date.now() + timeoutMs;
  const entries = await mapPool(events, 32, async (event): Promise<[string, FinalOutcome]> => {
    const handle = client.workflow.getHandle<typeof eventWorkflow>(event.workflowId);
    for (;;) {
      try {
        const result = await within(handle.result(), deadline - Date.now());
        if (result === undefined)
          return [event.workflowId, { outcome: 'missing', reason: 'no outcome in time' }];
        return [event.workflowId, { outcome: result.outcome, reason: result.reason, result }];
      } catch (error) {
        if (error instanceof WorkflowFailedError) {
          return [event.workflowId, { outcome: 'failed', reason: error.cause?.message ?? error.message }];
        }
        if (error instanceof WorkflowNotFoundError) {
          return [event.workflowId, { outcome: 'missing', reason: 'the event workflow does not exist' }];
        }
        // Temporal unreachable for a moment (a restarting server): ask again until the deadline.
        if (Date.now() > deadline) return [event.workflowId, { outcome: 'missing', reason: String(error) }];
        await sleep(1000);
      }
    }
  });
  return new Map(entries);
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Problems with the outcomes of valid events: none may be lost (missing) or end failed, rejected or
 * conflict; the newest event of each policy is applied; a superseded event names a newer one.
 */
export function outcomeProblems(
  events: PlannedEvent[],
  outcomes: Map<string, FinalOutcome>,
): { lost: number; problems: string[] } {
  const problems: string[] = [];
  let lost = 0;
  for (const event of events) {
    const final = outcomes.get(event.workflowId);
    if (!final || final.outcome === 'missing') {
      lost += 1;
      problems.push(`${event.id}: no final outcome (${final?.reason ?? 'not looked up'})`);
    } else if (['failed', 'rejected', 'conflict'].includes(final.outcome)) {
      lost += 1;
      problems.push(`${event.id}: ${final.outcome}: ${final.reason ?? ''}`);
    }
  }
  for (const newest of newestByPolicy(events).values()) {
    const final = outcomes.get(newest.workflowId);
    if (
      final &&
      final.outcome !== 'missing' &&
      !(APPLIED_OUTCOMES as readonly string[]).includes(final.outcome)
    ) {
      problems.push(
        `${newest.id}, the newest event of ${newest.policyKey}, ended ${final.outcome}: ${final.reason ?? ''}`,
      );
    }
  }
  for (const event of events) {
    const final = outcomes.get(event.workflowId);
    if (final?.outcome !== 'superseded') continue;
    // The reason names the newer event's position: "... (sequence N)".
    const named = /sequence (\d+)\)/.exec(final.reason ?? '')?.[1];
    if (named === undefined || compareSequence(named, event.sequence) < 0) {
      problems.push(
        `${event.id} (sequence ${event.sequence}) superseded by no newer event: ${final.reason ?? ''}`,
      );
    }
  }
  return { lost, problems };
}

/**
 * Whether each applied event's outcome says what it did to its policy, given the outcomes applied before
 * it (`finished`, a policy workflow's results in the order it finished them; the policy absent at first):
 * created only what was absent, updated to another document, unchanged only the same document, deleted
 * what was there, absent only what was not. A write hidden behind unchanged or absent (its result lost
 * with a fault), or one reported that was not made, shows here. After a failed or rejected event what IAM
 * holds is not known, and the policy's later outcomes are not checked.
 */
export function outcomeSequenceProblems(
  policyKey: string,
  finished: PolicyState['recent'],
  eventsByKey: Map<string, PlannedEvent>,
): string[] {
  const problems: string[] = [];
  let current: PolicyDocument | undefined;
  for (const { key, result } of finished) {
    const event = eventsByKey.get(key);
    if (!event) return problems;
    const { outcome } = result;
    if (outcome === 'failed' || outcome === 'rejected') return problems;
    if (!APPLIED_OUTCOMES.includes(outcome) || outcome === 'retained-in-use') continue;
    let expected: Outcome;
    if (event.type === 'iam.policy.delete') expected = current ? 'deleted' : 'absent';
    else if (!current) expected = 'created';
    else expected = documentsEqual(current, event.document!) ? 'unchanged' : 'updated';
    if (outcome !== expected) {
      problems.push(
        `${policyKey}: ${event.id} (sequence ${event.sequence}) reported ${outcome}, but what it did to the policy was ${expected}`,
      );
    }
    current = event.type === 'iam.policy.delete' ? undefined : event.document;
  }
  return problems;
}

/**
 * Asks each policy workflow in which order it finished its events: the applied ones must have been
 * applied in increasing sequence order (an older event never overwrote a newer one), and each outcome
 * must say what the event did (outcomeSequenceProblems).
 */
export async function appliedOrderProblems(client: Client, events: PlannedEvent[]): Promise<string[]> {
  const problems: string[] = [];
  const eventsByKey = new Map(events.map((event) => [JSON.stringify([event.source, event.id]), event]));
  const sequenceOf = new Map([...eventsByKey].map(([key, event]) => [key, event.sequence]));
  await mapPool([...byPolicy(events).keys()], 8, async (policyKey) => {
    const state: PolicyState = await client.workflow
      .getHandle(policyWorkflowId(policyKey))
      .query(policyStateQuery);
    const applied = state.recent
      .filter((finished) => APPLIED_OUTCOMES.includes(finished.result.outcome))
      .map((finished) => sequenceOf.get(finished.key))
      .filter((sequence): sequence is string => sequence !== undefined);
    applied.forEach((sequence, index) => {
      if (index > 0 && compareSequence(applied[index - 1], sequence) >= 0) {
        problems.push(`${policyKey}: sequence ${sequence} applied after ${applied[index - 1]}`);
      }
    });
    problems.push(...outcomeSequenceProblems(policyKey, state.recent, eventsByKey));
  });
  return problems;
}

// ---- IAM state ----

export interface IamStateCheck {
  /** Policies whose final state is wrong. */
  wrong: number;
  problems: string[];
  /** Versions in all the scenario's policies. */
  versions: number;
}

async function localPoliciesByKey(iam: IAMClient): Promise<Map<string, Policy[]>> {
  const found = new Map<string, Policy[]>();
  for await (const page of paginateListPolicies({ client: iam, pageSize: 1000 }, { Scope: 'Local' })) {
    for (const policy of page.Policies ?? []) {
      const key = (policy.PolicyName ?? '').toLowerCase();
      found.set(key, [...(found.get(key) ?? []), policy]);
    }
  }
  return found;
}

/** moto, read directly (not through any proxy), for the checks. */
export function directIam(motoEndpoint: string): IAMClient {
  return new IAMClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'check', secretAccessKey: 'check' },
  });
}

/**
 * Checks each policy against its newest event: absent after a delete; after an upsert exactly one
 * policy of that name (in any case), owned, with that document as default, at most 5 versions, and no
 * two consecutive versions holding the same document. The service makes a version only for a document
 * other than the default's, and each version it makes becomes the default, so such a pair can only be a
 * copy left by a retried request. (Equal versions further apart are a return to an older content.)
 */
export async function checkIamState(
  iam: IAMClient,
  expected: Map<string, { exists: false } | { exists: true; document: PolicyDocument }>,
): Promise<IamStateCheck> {
  const policies = await localPoliciesByKey(iam);
  const allProblems: string[] = [];
  let wrong = 0;
  let versions = 0;
  await mapPool([...expected], 8, async ([key, want]) => {
    const found = policies.get(key) ?? [];
    // Its own list: the checks of other policies run concurrently and add to `problems` meanwhile.
    const problems: string[] = [];
    if (!want.exists) {
      if (found.length > 0)
        problems.push(`${key}: should be absent, found ${found.map((p) => p.Arn).join(', ')}`);
    } else if (found.length !== 1) {
      problems.push(`${key}: expected one policy, found ${found.length}`);
    } else {
      const arn = found[0].Arn!;
      const { Policy: policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      const owned = (policy?.Tags ?? []).some(
        (t) => t.Key === MANAGED_BY.key && t.Value === MANAGED_BY.value,
      );
      if (!owned) problems.push(`${key}: has no managed-by tag`);
      const listed = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
      versions += listed.length;
      if (listed.length > 5) problems.push(`${key}: ${listed.length} versions`);
      const documents = listed.map((v) => ({
        id: v.VersionId,
        isDefault: v.IsDefaultVersion,
        document: decodePolicyDocument(v.Document ?? '{}'),
      }));
      const current = documents.find((v) => v.isDefault);
      if (!current || !documentsEqual(current.document, want.document)) {
        problems.push(`${key}: default version ${current?.id} does not hold the newest event's document`);
      }
      documents.forEach((a, i) =>
        documents.slice(i + 1).forEach((b) => {
          const consecutive = Math.abs(versionNumber(a.id ?? '') - versionNumber(b.id ?? '')) === 1;
          if (consecutive && documentsEqual(a.document, b.document))
            problems.push(`${key}: consecutive versions ${a.id} and ${b.id} hold the same document`);
        }),
      );
    }
    if (problems.length > 0) wrong += 1;
    allProblems.push(...problems);
  });
  return { wrong, problems: allProblems, versions };
}

/** What each policy should look like at the end: as its newest event says. */
export function expectedStates(
  events: PlannedEvent[],
): Map<string, { exists: false } | { exists: true; document: PolicyDocument }> {
  return new Map(
    [...newestByPolicy(events)].map(([key, event]) => [
      key,
      event.type === 'iam.policy.delete'
        ? { exists: false as const }
        : { exists: true as const, document: event.document! },
    ]),
  );
}

/** The checks every stream scenario ends with: each event's outcome, the applying order, the final IAM state. */
export async function verifyStream(
  client: Client,
  events: PlannedEvent[],
  outcomes: Map<string, FinalOutcome>,
  motoEndpoint: string,
): Promise<Pick<ScenarioReport, 'lost' | 'wrongFinalStates' | 'problems'>> {
  const checked = outcomeProblems(events, outcomes);
  const orderProblems = await appliedOrderProblems(client, events);
  const state = await checkIamState(directIam(motoEndpoint), expectedStates(events));
  return {
    lost: checked.lost,
    wrongFinalStates: state.wrong,
    problems: [...checked.problems, ...orderProblems, ...state.problems],
  };
}

// ---- the report ----

export interface ScenarioReport {
  scenario: string;
  events: number;
  deliveries: number;
  faults: Record<string, number>;
  /** Final outcome of every delivery (duplicates included), by kind. */
  outcomes: Record<string, number>;
  iamCalls: number;
  /** Events without a final outcome, or failed, rejected or conflict although valid. */
  lost: number;
  wrongFinalStates: number;
  problems: string[];
  seconds: number;
}
