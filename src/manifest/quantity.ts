// Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource) and Go-style durations, converted
// to integers with exact decimal arithmetic: `0.1` cpu is 100 millicores, not 100.00000000000001.
// Like Kubernetes, fractional results round up (0.1m cpu is 1 millicore). Bad input throws a
// RangeError whose message reads "expected ..., got ...".

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;
const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** Bigger exponents cannot give a result below 2^53 (or above 0), and would make huge BigInts. */
const MAX_EXPONENT = 40;

function show(value: string | number): string {
  return typeof value === "number" ? `number ${value}` : JSON.stringify(value);
}

/** ceil(digits × 10^exp10 × 2^exp2 × scale) for a non-negative decimal string such as "1.5". */
function ceilScaled(decimal: string, exp10: number, exp2: number, scale: bigint): bigint {
  const [whole = "", fraction = ""] = decimal.split(".");
  let numerator = BigInt(`${whole}${fraction}` || "0") * scale * 2n ** BigInt(exp2);
  let denominator = 1n;
  const e = exp10 - fraction.length;
  if (e >= 0) numerator *= 10n ** BigInt(e);
  else denominator = 10n ** BigInt(-e);
  return (numerator + denominator - 1n) / denominator;
}

function parseQuantity(value: string | number, scale: bigint, what: string, example: string): number {
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) throw new RangeError(`expected ${what} quantity like ${example}, got ${show(value)}`);
  const [, sign = "", decimal = "", suffix = ""] = match;
  let exp10 = 0;
  let exp2 = 0;
  if (suffix in BINARY_SUFFIX) exp2 = BINARY_SUFFIX[suffix] ?? 0;
  else if (suffix in DECIMAL_SUFFIX) exp10 = DECIMAL_SUFFIX[suffix] ?? 0;
  else exp10 = Number(suffix.slice(1));
  const isZero = /^[0.]*$/.test(decimal);
  if (sign === "-" && !isZero)
    throw new RangeError(`expected a non-negative ${what} quantity, got ${show(value)}`);
  if (isZero) return 0;
  if (exp10 > MAX_EXPONENT) throw new RangeError(`${what} quantity ${show(value)} is too large`);
  if (exp10 < -MAX_EXPONENT) return 1; // a positive amount far below one unit rounds up to one
  const result = ceilScaled(decimal, exp10, exp2, scale);
  if (result > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`${what} quantity ${show(value)} is too large`);
  return Number(result);
}

/** cpu quantity ("500m", "0.5", "2", 1) -> millicores, rounded up. */
export function parseCpuMillis(value: string | number): number {
  return parseQuantity(value, 1000n, "cpu", `"500m" or "0.5"`);
}

/** memory quantity ("128Mi", "1G", "1e3", "512k", 1048576, "1.5Gi") -> bytes, rounded up. */
export function parseMemoryBytes(value: string | number): number {
  return parseQuantity(value, 1n, "memory", `"128Mi" or "1G"`);
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+)(?:\.(\d+))?(ms|s|m|h)/g;
const UNIT_MS: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

/** Go-style duration ("500ms", "1s", "2m", "1h", "1m30s", "1.5s", "0") -> milliseconds, rounded up. */
export function parseDurationMs(value: string | number): number {
  const fail = () => new RangeError(`expected duration like "500ms", "10s" or "1m30s", got ${show(value)}`);
  if (value === 0 || value === "0") return 0;
  if (typeof value !== "string" || value.length > 64 || !DURATION.test(value)) throw fail();
  let total = 0n;
  for (const [, whole = "", fraction = "", unit = ""] of value.matchAll(DURATION_PART)) {
    total += ceilScaled(`${whole}.${fraction}`, 0, 0, UNIT_MS[unit] ?? 1n);
  }
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`duration ${show(value)} is too long`);
  return Number(total);
}

/** "250m" for 250 millicores, "2" for 2000: the shortest Kubernetes spelling. */
export function formatCpuMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** "64Mi" for 67108864 bytes: the largest binary suffix that divides exactly. */
export function formatMemoryBytes(bytes: number): string {
  for (const [suffix, shift] of [...Object.entries(BINARY_SUFFIX)].reverse()) {
    const unit = 2 ** shift;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
