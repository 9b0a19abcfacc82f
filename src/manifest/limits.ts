// Limits that keep hostile or broken input from being expanded: every one is checked before the
// work it guards, and every refusal names the limit.

/** Largest manifest file read, in bytes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Largest sum of all manifest files of one run, in bytes. */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Most YAML documents in one file. */
export const MAX_DOCUMENTS = 1000;
/** Deepest nesting of mappings and lists in a document, counted after alias expansion. */
export const MAX_DEPTH = 64;
/** Most alias nodes (`*name`) in one document; also passed to the yaml library as maxAliasCount. */
export const MAX_ALIASES = 100;
/** Most nodes of a document once its aliases are expanded (stops "billion laughs" documents). */
export const MAX_NODES = 100_000;
/** Most replicas of a PodSet or an Autoscaler. */
export const MAX_REPLICAS = 1000;
/** Largest seconds value: seconds * 1000 must fit a Node timer (2^31 - 1 ms, about 24.8 days). */
export const MAX_SECONDS = 2_147_483;
/** Longest restart back-off duration (initial, max, reset). */
export const MAX_BACKOFF_MS = 24 * 60 * 60 * 1000;
/** Longest PodSet name, so that pod names `<name>-<10-char hash>-<5-char suffix>` fit in 63 characters. */
export const MAX_POD_SET_NAME = 63 - 17;
