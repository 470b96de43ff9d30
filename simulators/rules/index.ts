/**
 * Fault-injection rules shared by every simulator (switch, ALS, payee and payer DFSPs, PIL): rules as data,
 * changed at run time through `PUT /admin/rules {rules}` on each simulator's admin surface.
 */
export { FaultRules, FaultRuleError, callbackDelay } from '../payee-dfsp/faults';
export type { FaultRule, FaultAction, FaultMatch, FaultContext } from '../payee-dfsp/faults';
