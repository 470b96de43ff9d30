import type { Server } from '@hapi/hapi';
import type { IntakeDeps } from './deps';

/** Placeholder: the pil northbound API registers its routes here. */
export function registerPilApi(_server: Server, _deps: IntakeDeps): void {
  // routes land with the pil API
}
