import type { Server } from '@hapi/hapi';
import type { IntakeDeps } from './deps';
import { registerPilApi } from './pil';
import { registerG2pConnectApi } from './g2p-connect';
import { registerNativeApi } from './native';

export type { IntakeDeps } from './deps';

/** Every northbound API on the orchestrator's one port. */
export function registerIntakes(server: Server, deps: IntakeDeps): void {
  registerPilApi(server, deps);
  registerG2pConnectApi(server, deps);
  registerNativeApi(server, deps);
}
