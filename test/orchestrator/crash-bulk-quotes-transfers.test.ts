/** Crash safety in the bulkQuotesTransfers mode: test/orchestrator/support/crash-suite.ts. */
import { crashSuite } from './support/crash-suite';

crashSuite('bulkQuotesTransfers');
