// Checks at start that the namespace knows the service's search attributes: without them every workflow
// start fails, so a worker or starter says so at once, naming what is missing and how to add it.
import type { ConnectionLike } from '@temporalio/client';
import { ConfigError } from '../config/environment';
import { MULTI_ACCOUNT_SEARCH_ATTRIBUTES, SERVICE_SEARCH_ATTRIBUTES } from '../messages/search-attributes';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (@temporalio/proto is not a direct dependency). */
const KEYWORD = 2;

/** The commands that register the service's attributes on a cluster (docs/operating.md). */
export function registrationCommands(namespace: string, names: readonly string[]): string {
  return names
    .map(
      (name) =>
        `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`,
    )
    .join('\n');
}

/** A message for a namespace that lacks `missing`, with the fix and the way out. */
export function missingAttributesMessage(namespace: string, missing: readonly string[]): string {
  return (
    `Temporal namespace ${namespace} has no search attribute${missing.length > 1 ? 's' : ''} ` +
    `${missing.join(', ')} (Keyword). Register ${missing.length > 1 ? 'them' : 'it'}:\n` +
    `${registrationCommands(namespace, missing)}\n` +
    'or set TEMPORAL_SEARCH_ATTRIBUTES=off to run without them (the UI then cannot filter by policy or outcome).'
  );
}

export type SearchAttributeCheck = { ok: true } | { ok: false; unverified: string };

/**
 * Throws ConfigError when the namespace lacks one of the service's attributes or has it with another
 * type. When the server will not list them (some clouds restrict the operator API), returns why, and
 * starts will name the missing attribute themselves (see `explainStartFailure`).
 */
export async function checkSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
  /** Whether events may name accounts (IAM_ACCOUNTS set): then Account is needed too. */
  multiAccount = false,
): Promise<SearchAttributeCheck> {
  const required = multiAccount ? MULTI_ACCOUNT_SEARCH_ATTRIBUTES : SERVICE_SEARCH_ATTRIBUTES;
  let known: Record<string, number>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    known = { ...listed.systemAttributes, ...listed.customAttributes };
  } catch (error) {
    return { ok: false, unverified: error instanceof Error ? error.message : String(error) };
  }
  const missing = required.map((key) => key.name).filter((name) => !(name in known));
  if (missing.length > 0) throw new ConfigError(missingAttributesMessage(namespace, missing));
  const mistyped = required.map((key) => key.name).filter((name) => known[name] !== KEYWORD);
  if (mistyped.length > 0) {
    throw new ConfigError(
      `Temporal namespace ${namespace} has search attribute${mistyped.length > 1 ? 's' : ''} ` +
        `${mistyped.join(', ')} with a type other than Keyword; this service needs Keyword`,
    );
  }
  return { ok: true };
}

/**
 * A start refused because of an unknown search attribute becomes a ConfigError naming it; anything else
 * is returned as it was.
 */
export function explainStartFailure(error: unknown, namespace: string): unknown {
  // The client wraps the server's answer (a gRPC INVALID_ARGUMENT) in a ServiceError: read the chain.
  // Duck-typed: gRPC errors need not be instances of this realm's Error.
  const messages: string[] = [];
  let cause: unknown = error;
  while (typeof cause === 'object' && cause !== null && messages.length < 5) {
    const { message, details } = cause as { message?: unknown; details?: unknown };
    messages.push(...[message, details].filter((text): text is string => typeof text === 'string'));
    cause = (cause as { cause?: unknown }).cause;
  }
  const message = messages.join('\n');
  const unknown = MULTI_ACCOUNT_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) =>
    // Server 1.29: "Namespace default has no mapping defined for search attribute PolicyName";
    // older servers: "search attribute PolicyName is not defined".
    new RegExp(
      `no mapping defined for search attribute ${name}\\b|search attribute ${name} is not defined`,
      'i',
    ).test(message),
  );
  if (unknown.length === 0) return error;
  return new ConfigError(missingAttributesMessage(namespace, unknown));
}
