// `@temporalio/workflow` with deliverEvent, inspectPolicy and applyPlan as local activities.
export * from '@temporalio/workflow/lib/index';
import { localActivityProxy } from './local-activities';

export const proxyActivities = localActivityProxy(['deliverEvent', 'inspectPolicy', 'applyPlan']);
