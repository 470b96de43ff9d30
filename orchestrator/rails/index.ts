/** Builds and caches one rail per (rail, mode) from the configuration. */
import type { Logger } from 'pino';
import type { OrchestratorConfig } from '../config';
import type { MojaloopSdkMode, RailName } from '../domain/types';
import { MojaloopSdkRail } from './mojaloop-sdk';
import { PilRail } from './pil';
import type { Rail, RailMemory, RailTimings } from './port';

export const SDK_MODES: readonly MojaloopSdkMode[] = ['bulkTransactions', 'bulkQuotesTransfers', 'transfers'];

export class RailRegistry {
  private readonly rails = new Map<string, Rail>();

  constructor(private readonly config: OrchestratorConfig, private readonly timings?: RailTimings, private readonly logger?: Logger,
    private readonly memory?: RailMemory) {}

  get(name: RailName, mode?: MojaloopSdkMode): Rail {
    if (name !== 'mojaloop-sdk' && name !== 'pil') throw new Error(`unknown rail ${String(name)}`);
    const m = name === 'mojaloop-sdk' ? mode ?? this.config.railMode : undefined;
    if (m && !SDK_MODES.includes(m)) throw new Error(`unknown mojaloop-sdk mode ${m}`);
    const key = `${name}:${m ?? ''}`;
    let rail = this.rails.get(key);
    if (!rail) {
      rail = name === 'pil'
        ? new PilRail(this.config.pilUrl, this.config.railTimeoutMs, this.timings)
        : new MojaloopSdkRail({
          sdkUrl: this.config.sdkUrl, mode: m as MojaloopSdkMode, timeoutMs: this.config.railTimeoutMs, timings: this.timings,
          transferHoldMs: this.config.transferHoldMs, bulkStageTimeoutMs: this.config.railTimeoutMs, logger: this.logger,
          memory: this.memory,
        });
      this.rails.set(key, rail);
    }
    return rail;
  }

  /**
   * A backend request of the payer DFSP's SDK (PUT {backend}/bulkTransactions/{id}): to the bulkTransactions rail,
   * built on first use.
   */
  sdkBackendRequest(bulkTransactionId: string, body: Record<string, unknown>): void {
    (this.get('mojaloop-sdk', 'bulkTransactions') as MojaloopSdkRail).backendRequest(bulkTransactionId, body);
  }

  /** What the rails built so far say an operator must know (readiness). */
  warnings(): string[] {
    return [...this.rails.values()].flatMap((r) => r.warnings?.() ?? []);
  }

  async close(): Promise<void> {
    await Promise.all([...this.rails.values()].map((r) => r.close()));
    this.rails.clear();
  }
}
