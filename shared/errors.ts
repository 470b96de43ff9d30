/**
 * An error meant for a person at a terminal: one line saying what is wrong and, when there is one, a hint saying
 * what to do about it. The `gpo` command prints these as they are (no help text, no stack unless --verbose).
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UserError';
  }
}
