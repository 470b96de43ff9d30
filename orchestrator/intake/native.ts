import type { Server } from '@hapi/hapi';
import type { IntakeDeps } from './deps';

/** Placeholder: the native northbound API registers its routes here. */
export function registerNativeApi(_server: Server, _deps: IntakeDeps): void {
  // routes land with the native API
}
