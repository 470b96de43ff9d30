/**
 * Demo #1 of the OpenG2P-Mojaloop integration, as its payment cycle guide describes it: configure a payment manager
 * on a program, enrol registrants, create a cycle, create and approve entitlements, approve the cycle, prepare
 * payments (batches), send payments; then OpenG2P's view beside the ledgers'.
 */
import type { Scenario } from './types';
import type { PaymentManagerKind } from '../simulators/openg2p/program';

export interface DemoOptions {
  registrants: number;
  paymentManager: PaymentManagerKind;
  rail?: 'mojaloop-sdk' | 'pil';
  seed: number;
}

/** What each step of the cycle is called in OpenG2P's guide. */
export const DEMO_STEP_TITLES: Record<string, string> = {
  'start world': 'Start the simulated Mojaloop network and the orchestrator',
  enrol: 'Enrol eligible registrants into the program',
  createCycle: 'Create a new cycle on the program',
  createEntitlements: 'Create entitlements',
  approveEntitlements: 'Approve entitlements',
  approveCycle: 'Approve cycle',
  preparePayments: 'Prepare payments: payment batches are created from the batch tag',
  sendPayments: 'Send payments: batches are disbursed through the payment manager',
  reconcile: 'Reconcile: OpenG2P reads every payment\'s result',
};

export function demoScenario(o: DemoOptions): Scenario {
  return {
    name: `demo #1: ${o.registrants} registrants through the ${o.paymentManager} payment manager`,
    seed: o.seed,
    timeLimit: '110s',
    network: { currency: 'USD', payeeFsps: [{ id: 'payeefsp1' }, { id: 'payeefsp2' }] },
    orchestrator: o.rail ? { rail: o.rail } : {},
    program: { name: 'Demo Cash Transfer', currency: 'USD', paymentManager: o.paymentManager, maxBatchSize: 500, eligibility:
      { minAge: 18 }, amount: { base: '100' } },
    registrants: { generate: { count: o.registrants, idTypes: ['MSISDN', 'ACCOUNT_ID'], fsps: { payeefsp1: 1, payeefsp2: 1 } } },
    steps: ['enrol', 'createCycle', 'createEntitlements', 'approveEntitlements', 'approveCycle', 'preparePayments', 'sendPayments',
      { reconcile: { timeout: '100s' } }],
    expect: { pending: { count: 0 }, ledgers: { eachTransferCreditedOnce: true, matchesOpenG2p: true, treasuryDebitedEqualsCreditedPlusFees:
      true } },
  };
}
