// A reproducible stream of CloudEvents for the benchmark: upserts that create and change policies,
// unchanged repeats, deletes, bursts of updates to one policy, and redeliveries (duplicates).
import { benchDocument, type DocumentSet } from './documents';

/** Deterministic PRNG (mulberry32): the same seed gives the same stream. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the generator meant by an event; the service's outcome may differ (e.g. superseded). */
export type EventKind = 'create' | 'update' | 'unchanged' | 'delete' | 'burst' | 'duplicate';

export interface BenchEvent {
  /** The CloudEvent as submitted (a duplicate is the very same object as its original). */
  raw: Record<string, unknown>;
  /** `source/id`: deliveries with the same key are one event. */
  key: string;
  policyName: string;
  kind: EventKind;
}

export interface StreamSpec {
  events: number;
  policies: number;
  /** Fraction of the stream that are redeliveries of an earlier event. */
  dupRate: number;
  /** Fraction of the non-duplicate events that belong to bursts of updates to one policy. */
  burstRate: number;
  burstSize: number;
  seed: number;
  /** Distinguishes this stream's event IDs and policy names from any other run's. */
  prefix: string;
  /** The upserts' documents; absent: `small`. */
  documents?: DocumentSet;
}

/** How far after its original a redelivery arrives, in stream positions. */
const DUPLICATE_WINDOW = 40;
const BASE_TIME = Date.UTC(2026, 10, 28, 9, 0, 0);

export interface EventFactory {
  upsert(policyName: string, variant: number): Record<string, unknown>;
  delete(policyName: string): Record<string, unknown>;
}

/** Builds CloudEvents with unique IDs and per-policy increasing sequence numbers. */
export function eventFactory(prefix: string, documents: DocumentSet = 'small'): EventFactory {
  const source = `urn:bench:${prefix}`;
  const sequences = new Map<string, number>();
  let counter = 0;
  const envelope = (policyName: string, type: string) => {
    counter += 1;
    const sequence = (sequences.get(policyName) ?? 0) + 1;
    sequences.set(policyName, sequence);
    return {
      specversion: '1.0',
      id: `e${String(counter).padStart(6, '0')}`,
      source,
      type,
      time: new Date(BASE_TIME + counter * 1000).toISOString(),
      sequence: String(sequence),
    };
  };
  return {
    upsert: (policyName, variant) => ({
      ...envelope(policyName, 'iam.policy.upsert'),
      datacontenttype: 'application/json',
      data: {
        policyName,
        document: benchDocument(documents, policyName, variant),
        description: `benchmark policy ${policyName}`,
        tags: { team: 'bench', 'cost-center': 'cc-42' },
      },
    }),
    delete: (policyName) => ({ ...envelope(policyName, 'iam.policy.delete'), data: { policyName } }),
  };
}

export function eventKey(raw: Record<string, unknown>): string {
  return `${String(raw.source)}/${String(raw.id)}`;
}

export function policyNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-p${String(i + 1).padStart(4, '0')}`);
}

/** The originals (no duplicates yet), in stream order. */
function generateOriginals(spec: StreamSpec, count: number, random: () => number): BenchEvent[] {
  const names = policyNames(spec.prefix, spec.policies);
  const factory = eventFactory(spec.prefix, spec.documents);
  const variants = new Map<string, number>();
  const exists = new Set<string>();
  const out: BenchEvent[] = [];
  const pick = () => names[Math.floor(random() * names.length)];
  const push = (raw: Record<string, unknown>, policyName: string, kind: EventKind) =>
    out.push({ raw, key: eventKey(raw), policyName, kind });
  const upsertNew = (name: string, kind: EventKind) => {
    const variant = (variants.get(name) ?? 0) + 1;
    variants.set(name, variant);
    push(factory.upsert(name, variant), name, exists.has(name) ? kind : 'create');
    exists.add(name);
  };

  while (out.length < count) {
    const name = pick();
    if (spec.burstRate > 0 && random() < spec.burstRate / spec.burstSize) {
      const size = Math.min(spec.burstSize, count - out.length);
      for (let i = 0; i < size; i += 1) upsertNew(name, 'burst');
      continue;
    }
    if (!exists.has(name)) {
      upsertNew(name, 'create');
      continue;
    }
    const roll = random();
    if (roll < 0.5) upsertNew(name, 'update');
    else if (roll < 0.85) push(factory.upsert(name, variants.get(name) ?? 1), name, 'unchanged');
    else {
      push(factory.delete(name), name, 'delete');
      exists.delete(name);
    }
  }
  return out;
}

/** The stream: originals, and redeliveries placed a little after their original. */
export function generateStream(spec: StreamSpec): BenchEvent[] {
  const random = seededRandom(spec.seed);
  const duplicates = Math.round(spec.events * spec.dupRate);
  const originals = generateOriginals(spec, spec.events - duplicates, random);
  const placed = originals.map((event, index) => ({ event, position: index }));
  for (let i = 0; i < duplicates; i += 1) {
    const index = Math.floor(random() * originals.length);
    const original = originals[index];
    placed.push({
      event: { ...original, kind: 'duplicate' },
      position: index + 0.5 + Math.floor(random() * DUPLICATE_WINDOW) + random() * 0.1,
    });
  }
  return placed.sort((a, b) => a.position - b.position).map((p) => p.event);
}

export function countKinds(events: readonly BenchEvent[]): Record<EventKind, number> {
  const counts: Record<EventKind, number> = {
    create: 0,
    update: 0,
    unchanged: 0,
    delete: 0,
    burst: 0,
    duplicate: 0,
  };
  for (const event of events) counts[event.kind] += 1;
  return counts;
}
