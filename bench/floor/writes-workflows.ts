// The floor with the write's activity task and no local activity per event (FLOOR_SHAPE=writes on
// bench/floor-worker.ts): as ./shaped-workflows.ts without the observation's local activity.
export { eventWorkflow } from '../../src/workflows/event-workflow';
export { writesOnlyFloorPolicyWorkflow as policyWorkflow } from './shaped-policy-workflow';
