/** The file name of a collection's Toolkit report in a run's work dir (shared by the Toolkit child and the harness). */
export function reportFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9_.-]+/g, '_')}.json`;
}
