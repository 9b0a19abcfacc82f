// The controller lease, decided by a pure function and stored in the leases table. One holder at
// a time reconciles a state file; a holder that stops renewing loses it when it expires.
// Not guaranteed: a paused holder may act for up to one lease duration after it expired (the
// epoch is the fencing token a later HA mode hands to every write).
import type { LeaseRow } from "../store/rows.ts";

export type LeaseDecision =
  | { action: "acquire"; epoch: number }
  | { action: "renew" }
  | { action: "wait"; holder: string; expiresAt: number };

export function decideLease(lease: LeaseRow | undefined, me: string, now: number): LeaseDecision {
  if (!lease) return { action: "acquire", epoch: 1 };
  if (lease.holder === me && lease.expiresAt > now) return { action: "renew" };
  if (lease.expiresAt <= now) return { action: "acquire", epoch: lease.epoch + 1 };
  if (lease.holder === me) return { action: "renew" };
  return { action: "wait", holder: lease.holder, expiresAt: lease.expiresAt };
}
