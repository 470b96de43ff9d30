/** Crash safety in the bulkTransactions mode: test/orchestrator/support/crash-suite.ts. */
import { crashSuite } from './support/crash-suite';

crashSuite('bulkTransactions');
