// Field path -> byte offset of the YAML node it names, following aliases and `<<` merge keys, so
// that an issue found on plain data can point at the line and column the user wrote.

import { type Alias, isAlias, isMap, isPair, isScalar, isSeq, type ParsedNode } from "yaml";
import type { PathSegment } from "./errors.ts";

export type AliasTargets = ReadonlyMap<Alias.Parsed, ParsedNode>;

interface Child {
  key?: ParsedNode;
  value: ParsedNode | null;
}

function resolve(node: ParsedNode | null, aliases: AliasTargets): ParsedNode | null {
  return node !== null && isAlias(node) ? (aliases.get(node) ?? null) : node;
}

function childOf(
  node: ParsedNode | null,
  segment: PathSegment,
  aliases: AliasTargets,
  hops = 0,
): Child | undefined {
  if (node === null) return undefined;
  if (isSeq(node)) {
    if (typeof segment !== "number") return undefined;
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item as ParsedNode };
  }
  if (!isMap(node)) return undefined;
  const merged: ParsedNode[] = [];
  for (const pair of node.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    // Parsed documents hold parsed nodes; the yaml types do not carry that through isPair.
    const key = pair.key as ParsedNode;
    const value = (pair.value ?? null) as ParsedNode | null;
    if (String(pair.key.value) === String(segment)) return { key, value };
    if (pair.key.value === "<<" && value !== null) merged.push(value);
  }
  // A key not written in this mapping may come from a `<<: *base` merge (bounded: merges can nest).
  if (hops > 8) return undefined;
  for (const source of merged) {
    const sources = isSeq(source) ? (source.items as ParsedNode[]) : [source];
    for (const item of sources) {
      const found = childOf(resolve(item, aliases), segment, aliases, hops + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Offset of the node at `path`. With `at: "key"` the key of the last segment (for unknown fields).
 * When the path does not exist (a missing field), the offset of the deepest mapping that does; for
 * an empty value (`image:`), the offset of its key.
 */
export function locate(
  root: ParsedNode | null,
  path: readonly PathSegment[],
  aliases: AliasTargets,
  at: "key" | "value" = "value",
  fallback = 0,
): number {
  let node = resolve(root, aliases);
  let offset = root?.range[0] ?? fallback;
  for (const [i, segment] of path.entries()) {
    const child = childOf(node, segment, aliases);
    if (child === undefined) return offset;
    const keyOffset = child.key?.range[0];
    const value = child.value;
    if (i === path.length - 1 && at === "key" && keyOffset !== undefined) return keyOffset;
    const empty = value === null || (isScalar(value) && value.range[0] === value.range[1]);
    offset = value === null || empty ? (keyOffset ?? offset) : value.range[0];
    node = resolve(value, aliases);
  }
  return offset;
}
