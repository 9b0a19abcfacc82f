// mk version
import { BUILD_DATE, COMMIT, VERSION } from "../../version.ts";
import { createContext } from "../context.ts";
import { globalOptions } from "../index.ts";
import { formatData } from "../output.ts";

export async function runVersion(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const ctx = createContext(globalOptions(opts));
  const { openSqlite } = await import("../../store/db.ts");
  const db = openSqlite(":memory:");
  const sqlite = (db.prepare("select sqlite_version() v").get() as { v: string }).v;
  db.close();
  let dockerApi: string | null = null;
  let docker: string | null = null;
  try {
    const { DockerRuntime } = await import("../../runtime/docker.ts");
    const { localDockerUrl, parseDockerUrl } = await import("../../node/connect.ts");
    const u = parseDockerUrl(localDockerUrl());
    if (u.kind === "unix") {
      const info = await new DockerRuntime({ socketPath: u.socketPath, timeout: 2000 }).info();
      dockerApi = info.apiVersion;
      docker = info.serverVersion;
    }
  } catch {
    // No Docker engine here: the version still prints, with the Docker fields empty.
  }
  const v = {
    version: VERSION,
    commit: COMMIT,
    buildDate: BUILD_DATE,
    node: process.version,
    sqlite,
    dockerApiVersion: dockerApi,
    dockerVersion: docker,
  };
  if (ctx.output === "json" || ctx.output === "yaml") ctx.out(formatData(v, ctx.output));
  else for (const [k, val] of Object.entries(v)) ctx.out(`${`${k}:`.padEnd(18)}${val ?? "<unreachable>"}`);
  return 0;
}
