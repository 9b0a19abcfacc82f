// SSH identity paths. A path given on the command line is resolved where it was typed (the CLI's
// working directory), because the server that later reads it runs elsewhere; a leading `~/` is
// the home directory of the process that reads the key (as in ~/.ssh/config).
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

/** An absolute path for `path` as given by a user in `cwd`. */
export function resolveIdentityPath(
  path: string,
  cwd: string = process.cwd(),
  home: string = homedir(),
): string {
  const expanded = expandHome(path, home);
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}
