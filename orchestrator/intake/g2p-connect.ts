import type { Server } from '@hapi/hapi';
import type { IntakeDeps } from './deps';

/** Placeholder: the g2p-connect northbound API registers its routes here. */
export function registerG2pConnectApi(_server: Server, _deps: IntakeDeps): void {
  // routes land with the g2p-connect API
}
