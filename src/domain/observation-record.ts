// What the policy workflow records of an observation. The observation is a local activity's result, kept
// in the policy workflow's history for every event; the worker's guardrails (over a kilobyte with the
// defaults) and the default version's document (up to 6 KB) would be recorded with every one of them,
// though the decision needs of them only two verdicts: whether the document IAM has means the same as the
// event's, and which rules the event's document breaks. Both are worked out where the observation is made,
// from the same worker's rules, and recorded instead; a replay decides from the recorded verdicts exactly as
// the first run did. Pure: the activity runs it, the unit tests check that decide() sees no difference.
import type { ObservedPolicy, PolicyObservation } from './decide';
import { normalForm } from './document';
import { checkGuardrails } from './guardrails';
import { normalFormHash } from './read-fence';
import type { PolicyDocument } from './types';

/**
 * `observation` as the policy workflow records it, compared with `document` (the upsert's; none for a
 * delete): the verdicts instead of the guardrails and the default version's document.
 */
export function observationRecord(
  observation: PolicyObservation,
  document: PolicyDocument | undefined,
): PolicyObservation {
  const { guards } = observation;
  const violations =
    'violations' in guards
      ? guards.violations
      : document !== undefined
        ? checkGuardrails(document, guards.guardrails)
        : [];
  const { adoptUnmanaged, consistencyWaitMs, versionSwitchWaitMs } = guards;
  const recordedGuards = {
    adoptUnmanaged,
    ...(consistencyWaitMs !== undefined ? { consistencyWaitMs } : {}),
    ...(versionSwitchWaitMs !== undefined ? { versionSwitchWaitMs } : {}),
    violations,
  };
  if (!observation.exists) return { exists: false, guards: recordedGuards };
  return { ...observation, policy: policyRecord(observation.policy, document), guards: recordedGuards };
}

function policyRecord(policy: ObservedPolicy, document: PolicyDocument | undefined): ObservedPolicy {
  const { document: observed, ...rest } = policy;
  if (observed === undefined) return policy;
  // Normalised once for both verdicts: real documents run to kilobytes, and this is every upsert's.
  const normal = normalForm(observed);
  return {
    ...rest,
    ...(document !== undefined ? { documentMatches: normal === normalForm(document) } : {}),
    documentHash: normalFormHash(normal),
  };
}
