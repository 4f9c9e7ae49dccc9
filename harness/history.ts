// Reading workflow histories in tests: which local activities ran, how many events of a kind there are.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historyOf(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

/**
 * The history once `done` holds for it, reading again every 100 ms for up to `timeoutMs` (a policy
 * workflow's task may complete a moment after the event workflow has its result); the last one read else.
 */
export async function historyWhen(
  client: Client,
  workflowId: string,
  done: (events: HistoryEvent[]) => boolean,
  timeoutMs = 5_000,
): Promise<HistoryEvent[]> {
  const deadline = Date.now() + timeoutMs;
  let events = await historyOf(client, workflowId);
  while (!done(events) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    events = await historyOf(client, workflowId);
  }
  return events;
}

/** How many events carry this attribute (e.g. `workflowExecutionSignaledEventAttributes`). */
export function countEvents(events: HistoryEvent[], attribute: keyof HistoryEvent): number {
  return events.filter((event) => event[attribute]).length;
}

export function localActivityMarkers(events: HistoryEvent[]): HistoryEvent[] {
  return events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
}

/** The activity type each local-activity marker records (in its details, as JSON). */
export function localActivityTypes(events: HistoryEvent[]): string[] {
  return localActivityMarkers(events).map((event) => {
    const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
    const details = JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as {
      activity_type?: string;
    };
    return details.activity_type ?? '';
  });
}

/** Each local-activity marker's activity type and result (as its JSON text: the size is what history holds). */
export function localActivityResults(events: HistoryEvent[]): { type: string; json: string }[] {
  const types = localActivityTypes(events);
  return localActivityMarkers(events).map((event, index) => {
    const payload = event.markerRecordedEventAttributes?.details?.result?.payloads?.[0];
    return { type: types[index], json: Buffer.from(payload?.data ?? []).toString('utf8') };
  });
}
