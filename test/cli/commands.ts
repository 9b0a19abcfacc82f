// The commands of the product, as the foundation issue lists them.
export const PRODUCT_COMMANDS = [
  "apply",
  "diff",
  "get",
  "describe",
  "delete",
  "logs",
  "events",
  "server",
  "node",
  "sql",
  "rollout",
  "scale",
];
