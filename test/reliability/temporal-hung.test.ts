// Temporal hung mid-stream: test/reliability/temporal-outage-case.ts.
import { temporalOutageTest } from './temporal-outage-case';

temporalOutageTest('hung');
