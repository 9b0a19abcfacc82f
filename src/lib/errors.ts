// Typed errors. Every failure a caller handles has its own subclass with a snake_case `code`;
// the CLI maps `exitCode` to the process exit status and the API maps `httpStatus` to a response.

export type ErrorDetails = Record<string, unknown>;

export class MkError extends Error {
  readonly code: string;
  readonly details: ErrorDetails;
  /** Process exit status: 1 user error, 2 usage error, 3 runtime failure. */
  readonly exitCode: 1 | 2 | 3;
  readonly httpStatus: number;

  constructor(
    code: string,
    message: string,
    opts: { details?: ErrorDetails; exitCode?: 1 | 2 | 3; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details ?? {};
    this.exitCode = opts.exitCode ?? 1;
    this.httpStatus = opts.httpStatus ?? 400;
  }

  toJSON(): { code: string; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Wrong command-line usage: unknown flag, missing argument. */
export class UsageError extends MkError {
  constructor(message: string, details?: ErrorDetails) {
    super("usage_error", message, { details, exitCode: 2, httpStatus: 400 });
  }
}

/** A named object does not exist. */
export class NotFoundError extends MkError {
  constructor(kind: string, name: string) {
    super("not_found", `${kind} "${name}" not found`, {
      details: { kind, name },
      exitCode: 1,
      httpStatus: 404,
    });
  }
}

/** Bad user input that is not a manifest (a flag value, a SQL statement). */
export class InvalidInputError extends MkError {
  constructor(message: string, details?: ErrorDetails) {
    super("invalid_input", message, { details, exitCode: 1, httpStatus: 400 });
  }
}

/** A command exists in the CLI but its capability is not built yet. */
export class NotAvailableError extends MkError {
  constructor(what: string) {
    super("not_available", `${what} is not available yet`, { exitCode: 1, httpStatus: 501 });
  }
}

/** The state database cannot be opened or migrated. */
export class StateError extends MkError {
  constructor(message: string, details?: ErrorDetails, cause?: unknown) {
    super("state_error", message, { details, exitCode: 3, httpStatus: 500, cause });
  }
}

/** The container runtime (a Docker engine) failed or cannot be reached. */
export class RuntimeError extends MkError {
  constructor(message: string, details?: ErrorDetails, cause?: unknown) {
    super("runtime_error", message, { details, exitCode: 3, httpStatus: 502, cause });
  }
}

/** A node's engine cannot be reached at all (its SSH connection is down): not the container's fault. */
export class NodeUnreachableError extends RuntimeError {}

/** True when `err`, or any error in its cause chain, says the node is unreachable. */
export function isNodeUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof NodeUnreachableError) return true;
  }
  return false;
}

/** Another controller holds the lease on this state. */
export class LeaseHeldError extends MkError {
  constructor(holder: string, expiresAt: number) {
    super(
      "lease_held",
      `Cannot take the controller lease: held by ${holder} until ${new Date(expiresAt).toISOString()}`,
      {
        details: { holder, expiresAt },
        exitCode: 3,
        httpStatus: 409,
      },
    );
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
