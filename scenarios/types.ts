/** The shape of a scenario file (scenario.schema.json is the normative version; README.md explains it). */
import type { EligibilityRule, AmountRule, PaymentManagerKind } from '../simulators/openg2p/program';

export type Duration = number | string;

export interface FaultRuleSpec {
  id?: string;
  match?: Record<string, unknown>;
  action: { type: string; [k: string]: unknown };
  probability?: number;
  times?: number;
}

export interface FaultSet {
  target: string;
  rules: FaultRuleSpec[];
}

export interface PayeeFspSpec {
  id: string;
  netDebitCap?: string;
  fee?: { fixed?: string; percent?: string; min?: string; max?: string };
  parties?: Array<Record<string, unknown>>;
  answeringMode?: 'COMMITTED' | 'RESERVED';
}

export interface NetworkSpec {
  currency?: string;
  payer?: string;
  treasury?: { balance?: string; netDebitCap?: string };
  payeeFsps?: PayeeFspSpec[];
  faults?: FaultSet[];
  faultChanges?: Array<FaultSet & { at: Duration }>;
  /** How the PIL simulator pays: one payee at a time as in demo #1, or concurrently (default). */
  pilMode?: 'sequential' | 'concurrent';
  /** The payer DFSP's timeouts: how long it waits for a callback, and the expiry of the transfers it sends. */
  timeouts?: { callback?: Duration; transferExpiry?: Duration };
}

export interface OrchestratorSpec {
  rail?: 'mojaloop-sdk' | 'pil';
  railMode?: 'bulkTransactions' | 'bulkQuotesTransfers' | 'transfers';
  options?: Record<string, unknown>;
}

export interface ProgramSpec {
  name?: string;
  currency?: string;
  paymentManager: PaymentManagerKind;
  nativeFormat?: 'json' | 'csv';
  maxBatchSize?: number;
  eligibility?: EligibilityRule;
  amount: AmountRule;
}

export interface RegistrantSpec {
  id?: string;
  name?: string;
  idType: string;
  idValue: string;
  fsp?: string;
  age?: number;
  householdSize?: number;
  region?: string;
}

export type ScenarioStep =
  | string
  | { sendPayments: { batches?: number[]; resend?: boolean; concurrency?: number; background?: boolean } | null }
  | { reconcile: { timeout?: Duration } | null }
  | { cancel: { afterCompleted?: number } | null }
  | { restartOrchestrator: { afterCompleted?: number } | null }
  | { setFaults: FaultSet }
  | { waitFor: { credited: number; timeout?: Duration } }
  | { pause: Duration }
  | { post: { path: string; contentType?: string; body: unknown; expectStatus?: number; expectBodyContains?: string } }
  | Record<string, null>;

export interface Total { count?: number; minCount?: number; maxCount?: number; amount?: string }

export interface Expectations {
  paid?: Total;
  failed?: Total;
  pending?: Total;
  /** Cancelled before they were sent (a subset of failed in OpenG2P's view). */
  cancelled?: Total;
  /** The orchestrator could not establish their outcome (2004 after the transfer may have gone out). */
  inDoubt?: Total;
  /** In batches the orchestrator refused at intake (4xx or a NACK): never accepted, never paid. */
  refused?: Total;
  notSent?: number;
  byErrorCode?: Record<string, number>;
  byFsp?: Record<string, { paid?: number; failed?: number; credited?: Total }>;
  ledgers?: { credited?: Total; treasuryDebitedEqualsCreditedPlusFees?: boolean; eachTransferCreditedOnce?: boolean;
    matchesOpenG2p?: boolean };
  sends?: { accepted?: number; rejected?: number };
  /** Result notifications OpenG2P received (G2P Connect on-disburse / on-status callbacks). */
  notifications?: { received?: number; minReceived?: number; duplicates?: number; minDuplicates?: number };
  finalWithin?: Duration;
}

export interface Scenario {
  name: string;
  description?: string;
  tags?: string[];
  seed?: number;
  timeLimit?: Duration;
  network?: NetworkSpec;
  orchestrator?: OrchestratorSpec;
  program: ProgramSpec;
  registrants: { list?: RegistrantSpec[]; generate?: { count: number; idTypes?: string[]; fsps: Record<string, number>;
    unknownShare?: number; badShare?: number; regions?: string[] } };
  steps: ScenarioStep[];
  compareWith?: { label?: string; orchestrator: OrchestratorSpec; program?: Partial<ProgramSpec> };
  expect: Expectations;
}
