// Every activity the worker registers, built from their dependencies (IAM client, Temporal client, config).
import { createDeliveryActivities, type DeliveryDependencies } from './delivery-activities';
import { createDriftActivities } from './drift-activities';
import { createPolicyActivities } from './policy-activities';

export type { DeliveryActivities, PolicyActivities } from '../messages/activity-contracts';

export type ActivityDependencies = DeliveryDependencies & Parameters<typeof createPolicyActivities>[0];

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createDeliveryActivities(deps),
    ...createPolicyActivities(deps),
    ...createDriftActivities(deps),
  };
}
