/** What every GPO server (orchestrator or simulator) hands back once it listens. */
export interface RunningServer {
  /** e.g. "switch", "payeefsp1", "orchestrator" */
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:4030 */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Default port map (docs/architecture.md); every one is configurable. */
export const DEFAULT_PORTS = {
  orchestrator: 4000,
  pil: 4010,
  payerOutbound: 4020,
  payerInbound: 4021,
  switch: 4030,
  als: 4040,
  payeeFirst: 4050,
  mapper: 4060,
  sponsorBank: 4070,
} as const;

