// The Swarm side of every rolling-update race: a service of `sleep 3600` tasks whose update starts
// `parallelism` new tasks before stopping old ones, with no delay, monitor or grace period — the same
// parallelism as mk's maxSurge N / maxUnavailable 0.
export function swarmRollingTaskArgs(parallelism: number, image: string): string[] {
  return [
    "--update-parallelism",
    String(parallelism),
    "--update-order",
    "start-first",
    "--update-delay",
    "0s",
    "--update-monitor",
    "0s",
    "--stop-grace-period",
    "0s",
    "--env",
    "VERSION=1",
    image,
    "sleep",
    "3600",
  ];
}
