/**
 * Bad input from a user: a flag, a config value, a resource field. The CLI prints its message
 * on one line and exits 2; nothing may have been written before it is thrown.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of every clusterbench command (DESIGN.md, "Commands"). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;
