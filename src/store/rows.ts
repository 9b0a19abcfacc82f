// Row types inferred from the drizzle schema.
import type * as s from "./schema.ts";

export type ObjectRow = typeof s.objects.$inferSelect;
export type PodRow = typeof s.pods.$inferSelect;
export type ContainerStatusRow = typeof s.containerStatus.$inferSelect;
export type ObservedContainerRow = typeof s.observedContainers.$inferSelect;
export type NodeRow = typeof s.nodes.$inferSelect;
export type EventRow = typeof s.events.$inferSelect;
export type LeaseRow = typeof s.leases.$inferSelect;
export type RevisionRow = typeof s.podsetRevisions.$inferSelect;
export type PodSetStatusRow = typeof s.podsetStatus.$inferSelect;
export type AutoscalerStatusRow = typeof s.autoscalerStatus.$inferSelect;

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
export type NodeState = "Ready" | "NotReady" | "Unknown";
export type EventType = "Normal" | "Warning";
