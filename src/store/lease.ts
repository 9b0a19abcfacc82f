// Lease rows: taken, renewed and released in IMMEDIATE transactions, decided by ha/lease.ts.
import { eq } from "drizzle-orm";
import { decideLease, type LeaseDecision } from "../ha/lease.ts";
import type { LeaseRow } from "./rows.ts";
import { leases } from "./schema.ts";
import type { Store } from "./store.ts";

/** Takes or renews the lease in one IMMEDIATE transaction; returns the decision taken. */
export function tryLease(store: Store, name: string, me: string, durationMs: number): LeaseDecision {
  return store.transaction(() => {
    const now = store.clock.now();
    const row = store.db.select().from(leases).where(eq(leases.name, name)).get();
    const d = decideLease(row, me, now);
    if (d.action === "acquire") {
      store.db
        .insert(leases)
        .values({
          name,
          holder: me,
          acquiredAt: now,
          renewedAt: now,
          expiresAt: now + durationMs,
          epoch: d.epoch,
        })
        .onConflictDoUpdate({
          target: leases.name,
          set: { holder: me, acquiredAt: now, renewedAt: now, expiresAt: now + durationMs, epoch: d.epoch },
        })
        .run();
    } else if (d.action === "renew") {
      store.db
        .update(leases)
        .set({ renewedAt: now, expiresAt: now + durationMs })
        .where(eq(leases.name, name))
        .run();
    }
    return d;
  });
}

export function releaseLease(store: Store, name: string, me: string): void {
  store.transaction(() => {
    const row = store.db.select().from(leases).where(eq(leases.name, name)).get();
    if (row && row.holder === me) {
      store.db.update(leases).set({ expiresAt: 0 }).where(eq(leases.name, name)).run();
    }
  });
}

export function readLease(store: Store, name: string): LeaseRow | undefined {
  return store.db.select().from(leases).where(eq(leases.name, name)).get();
}
