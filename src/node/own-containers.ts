// Which of the containers on a node's Docker daemon are this node's to manage.

import { identityOf } from "../runtime/labels.ts";
import type { RuntimeContainer } from "../runtime/runtime.ts";

/**
 * A node's agent lists every container of its cluster on its daemon. A container labelled for
 * another node that is still registered is that node's (two nodes can point at one daemon): taking
 * it for an orphan would remove a running pod's container. A container labelled for this node, for
 * no node, or for a node that was removed is this node's to keep or clean up. `registered` is read
 * only when another node's label is seen, so the common pass adds no read.
 */
export function ownContainers(
  all: readonly RuntimeContainer[],
  node: string,
  registered: () => ReadonlySet<string>,
): RuntimeContainer[] {
  const ownerOf = (c: RuntimeContainer) => identityOf(c.labels)?.node ?? "";
  if (all.every((c) => ownerOf(c) === "" || ownerOf(c) === node)) return [...all];
  const names = registered();
  return all.filter((c) => {
    const owner = ownerOf(c);
    return owner === "" || owner === node || !names.has(owner);
  });
}
