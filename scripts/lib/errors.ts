// Errors that Strata expects to show a user. Each carries an exit code and a hint that
// says what to do next; anything else reaching the top is an internal error (a bug).

/** StrataError is a failure the user can act on: `message` says what failed and where, `hint` what to do. */
export class StrataError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StrataError';
  }
}

/** One configuration problem: the key that holds it, what is wrong, and where the value came from. */
export interface ConfigProblem {
  key: string;
  message: string;
  source?: string;
}

/** ConfigError lists every configuration problem at once, each with the key that holds it. */
export class ConfigError extends StrataError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}${p.source ? ` (from ${p.source})` : ''}`).join('\n'),
      'Fix the keys above (see docs/configuration.md), then run `just config` to check.',
      2,
    );
    this.name = 'ConfigError';
  }
}

/** RefusedError is a safety rule saying no; nothing was changed. Exit code 3. */
export class RefusedError extends StrataError {
  constructor(message: string, hint?: string) {
    super(message, hint, 3);
    this.name = 'RefusedError';
  }
}

/** ConflictError: the remote space changed since this working copy last synced it. Exit code 4. */
export class ConflictError extends StrataError {
  constructor(message: string, hint?: string) {
    super(message, hint, 4);
    this.name = 'ConflictError';
  }
}

/** TransferError: some transfers failed; deletes were skipped. Exit code 5. */
export class TransferError extends StrataError {
  constructor(
    message: string,
    readonly failed: { key: string; error: string }[],
    hint = 'Run the same recipe again: finished files are kept and it continues where it stopped.',
  ) {
    super(message, hint, 5);
    this.name = 'TransferError';
  }
}

/**
 * LockLostError: the working copy's lock was removed or taken over while this run held it.
 * The run must not go on (another may be working here now): cli.ts ends the process at once.
 */
export class LockLostError extends StrataError {
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
    this.name = 'LockLostError';
  }
}
