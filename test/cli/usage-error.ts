import assert from "node:assert/strict";
import { UsageError } from "../../src/lib/errors.ts";

/** Runs `fn`, which must throw a UsageError; returns what a flag test checks of it. */
export function usage(fn: () => unknown): { message: string; exitCode: number; flag: unknown } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return { message: err.message, exitCode: err.exitCode, flag: err.details.flag };
  }
  assert.fail("expected a UsageError");
}
