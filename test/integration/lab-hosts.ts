// The SSH lab hosts (scripts/lab: network namespaces 10.231.0.1x, each with its own dockerd and sshd),
// as the lab tests reach them. Run those tests under `flock /tmp/mk-lab.lock`.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { ROOT } from "./harness.ts";

const run = promisify(execFile);

export const LAB = "/tmp/mk-lab";

/** Runs scripts/lab/SCRIPT (up, kill, reboot, link...) and returns its stdout. */
export const lab = async (script: string, ...args: string[]): Promise<string> =>
  (await run("bash", [join(ROOT, "scripts/lab", script), ...args], { timeout: 120_000 })).stdout;

/** Lab host i's own Docker daemon, by its socket on this machine. */
export const nodeDocker = (i: number): Docker => new Docker({ socketPath: `${LAB}/n${i}/docker.sock` });

/** The CLI's environment for lab hosts: their host keys, as `scripts/lab/up.sh` recorded them. */
export const LAB_ENV = { MK_KNOWN_HOSTS: `${LAB}/ssh/known_hosts` };
