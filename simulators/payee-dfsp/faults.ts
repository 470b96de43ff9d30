/** The payee DFSP's fault rules are the shared ones (simulators/rules). */
export { FaultRules, FaultRuleError, callbackDelay } from '../rules';
export type { FaultRule, FaultAction, FaultMatch, FaultContext, FaultItem } from '../rules';
