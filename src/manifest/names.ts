// Name and label syntax, as Kubernetes validates it (k8s.io/apimachinery/pkg/util/validation).
// Each check returns undefined when the value is valid, else the message of the issue.

import { isIP } from "node:net";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const show = (value: string) => JSON.stringify(value);

/** Object, container and node names: they become container names and host names. */
export function dns1123LabelError(value: string, maxLength = 63, why = ""): string | undefined {
  if (value.length > maxLength) {
    return `expected at most ${maxLength} characters${why}, got ${show(value)} (${value.length} characters)`;
  }
  if (!DNS1123_LABEL.test(value)) {
    return `expected a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), got ${show(value)}`;
  }
  return undefined;
}

function qualifiedNameError(value: string, what: string): string | undefined {
  const parts = value.split("/");
  const [prefix, name] = parts.length === 2 ? parts : [undefined, value];
  if (parts.length > 2 || name === undefined) {
    return `expected ${what} of the form [prefix/]name with at most one '/', got ${show(value)}`;
  }
  if (
    prefix !== undefined &&
    (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
  ) {
    return `expected the prefix of ${what} ${show(value)} to be a DNS-1123 subdomain (lowercase, like example.com)`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `expected ${what} name part of at most 63 characters (letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got ${show(value)}`;
  }
  return undefined;
}

/** Label and annotation keys: an optional DNS-1123 subdomain prefix, "/", and a name. */
export function labelKeyError(value: string): string | undefined {
  return qualifiedNameError(value, "a key");
}

/** Label values: empty, or at most 63 letters, digits, '-', '_' and '.', alphanumeric at both ends. */
export function labelValueError(value: string): string | undefined {
  if (value === "" || (value.length <= 63 && QUALIFIED_NAME.test(value))) return undefined;
  return `expected a label value of at most 63 characters (letters, digits, '-', '_' and '.', starting and ending with a letter or digit), got ${show(value)}`;
}

/** Port names (IANA_SVC_NAME): at most 15 lowercase letters, digits and '-', at least one letter. */
export function portNameError(value: string): string | undefined {
  if (value.length <= 15 && IANA_SVC_NAME.test(value) && /[a-z]/.test(value) && !value.includes("--")) {
    return undefined;
  }
  return `expected a port name of at most 15 lowercase letters, digits and '-' with at least one letter, got ${show(value)}`;
}

/** Environment variable names: any printable ASCII except '=' (Kubernetes 1.30 relaxed C_IDENTIFIER). */
export function envNameError(value: string): string | undefined {
  if (/^[\x20-\x3c\x3e-\x7e]+$/.test(value)) return undefined;
  return `expected a variable name of printable ASCII characters without '=', got ${show(value)}`;
}

export function ipError(value: string): string | undefined {
  return isIP(value) === 0 ? `expected an IP address, got ${show(value)}` : undefined;
}

/** Kubernetes default imagePullPolicy: Always for `:latest` or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): "Always" | "IfNotPresent" {
  if (image.includes("@")) return "IfNotPresent";
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastPart.lastIndexOf(":");
  if (colon === -1 || lastPart.slice(colon + 1) === "latest") return "Always";
  return "IfNotPresent";
}
