/**
 * The seed of one run of a seeded orchestrator: the configured seed mixed with a counter kept in the store, so a
 * restarted orchestrator never draws the ids its previous run drew.
 */
export function runSeed(seed: number, startCount: number): number {
  return (seed ^ Math.imul(startCount, 0x9e3779b1)) >>> 0;
}
