/** Crash safety in the transfers mode: test/orchestrator/support/crash-suite.ts. */
import { crashSuite } from './support/crash-suite';

crashSuite('transfers');
