// Event order for one policy (the contract): by `sequence` when both events have one, else by `time`,
// else unknown (the caller falls back to arrival order). Pure: imported by workflow code.

/**
 * Compares two canonical decimal strings (digits only, no leading zeros) numerically. Length first,
 * then code units: exact for any number of digits, with no BigInt or float rounding.
 */
export function compareSequence(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical decimal string of a non-negative integer: no leading zeros, "0" for zero. Throws on
 * anything else, including numbers beyond 2^53 - 1 (already rounded by JSON parsing, so their order
 * cannot be trusted).
 */
export function canonicalSequence(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(
        `sequence must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER}, got ${value}`,
      );
    }
    return String(value);
  }
  if (!/^[0-9]+$/.test(value)) {
    throw new Error(`sequence must be a string of decimal digits, got ${JSON.stringify(value)}`);
  }
  return value.replace(/^0+(?=.)/, '');
}

/** An RFC 3339 instant as whole seconds since the epoch plus the fraction's digits (sub-ms precision kept). */
interface Instant {
  seconds: number;
  fraction: string;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

function parseInstant(time: string): Instant | undefined {
  const match = RFC3339.exec(time);
  if (!match) {
    const ms = Date.parse(time);
    if (Number.isNaN(ms)) return undefined;
    const seconds = Math.floor(ms / 1000);
    return { seconds, fraction: String(ms - seconds * 1000).padStart(3, '0') };
  }
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes] = match;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, 0, 1));
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) : 0;
  const seconds = date.getTime() / 1000 - offset * 60;
  return Number.isNaN(seconds) ? undefined : { seconds, fraction };
}

function compareInstants(a: Instant, b: Instant): -1 | 0 | 1 {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  const length = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(length, '0');
  const fb = b.fraction.padEnd(length, '0');
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/** Compares two RFC 3339 timestamps; undefined when either cannot be parsed. */
export function compareTime(a: string, b: string): -1 | 0 | 1 | undefined {
  const instantA = parseInstant(a);
  const instantB = parseInstant(b);
  return instantA && instantB ? compareInstants(instantA, instantB) : undefined;
}

/** What ordering looks at in an event. */
export interface EventOrderKey {
  sequence?: string;
  time?: string;
}

/**
 * Negative when `a` is older than `b`, positive when newer, 0 when they rank the same, undefined when
 * the contract gives no order (the caller then uses arrival order). Sequences must be canonical.
 */
export function compareEventOrder(a: EventOrderKey, b: EventOrderKey): -1 | 0 | 1 | undefined {
  const byTime = a.time !== undefined && b.time !== undefined ? compareTime(a.time, b.time) : undefined;
  if (a.sequence !== undefined && b.sequence !== undefined) {
    const bySequence = compareSequence(a.sequence, b.sequence);
    return bySequence !== 0 ? bySequence : (byTime ?? 0);
  }
  return byTime;
}
