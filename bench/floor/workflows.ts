// The floor's workflows (bench/floor-worker.ts bundles this module): the service's own event workflow,
// unchanged, and the floor's policy workflow registered under the service's type name, so the starter,
// the event workflow and the delivery activities address it exactly as they address the service's.
export { eventWorkflow } from '../../src/workflows/event-workflow';
export { floorPolicyWorkflow as policyWorkflow } from './policy-workflow';
