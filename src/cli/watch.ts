// `mk get -w`: like kubectl, the list once (header first), then one line per object that was
// added, changed or deleted, polled every half second; nothing is redrawn, so it works piped.
// --output-watch-events adds an EVENT column (ADDED/MODIFIED/DELETED), or wraps -o json|yaml
// objects as {type, object}. --watch-only skips the initial list.
import type { MkApi } from "../api/types.ts";
import { sleep } from "../lib/clock.ts";
import type { Context } from "./context.ts";
import { type Filters, listObjects } from "./listing.ts";
import { alignRows, columnsOf, formatWatchObject, type TableOptions, tableRows } from "./render.ts";
import type { ResourceGroup } from "./resource-ref.ts";
import { WatchState } from "./watch-diff.ts";

export const WATCH_POLL_MS = 500;

export async function watchListing(
  ctx: Context,
  api: MkApi,
  groups: readonly ResourceGroup[],
  filters: Filters,
  opts: TableOptions,
  watch: { events: boolean; watchOnly: boolean },
): Promise<number> {
  const state = new WatchState();
  const prefix = groups.length > 1;
  // The EVENT column is as wide as its widest value from the start, so rows stay aligned.
  let widths: number[] = watch.events ? ["MODIFIED".length] : [];
  let headerDone = opts.noHeaders;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // `mk get -w | head`: the reader went away; end quietly.
  process.stdout.on("error", stop);
  try {
    for (let first = true; !stopped; first = false) {
      const listing = await listObjects(api, groups, filters);
      if (first && listing.missing.length > 0) {
        for (const m of listing.missing) process.stderr.write(`Error from server (NotFound): ${m}\n`);
        return 1;
      }
      const events = state.diff(
        listing.sections.flatMap((s) =>
          s.objects.map((object) => ({ key: `${s.resource}/${object.metadata.name}`, object })),
        ),
      );
      if (!(first && watch.watchOnly) && events.length > 0) {
        if (ctx.output === "table" || ctx.output === "wide" || ctx.output === "custom-columns") {
          const rows: string[][] = [];
          for (const e of events) {
            const resource = e.key.slice(0, e.key.indexOf("/")) as ResourceGroup["resource"];
            const cols = columnsOf(resource, [e.object], opts, prefix);
            if (!headerDone) {
              rows.push(watch.events ? ["EVENT", ...cols.headers] : cols.headers);
              headerDone = true;
            }
            for (const r of tableRows(cols)) rows.push(watch.events ? [e.type, ...r] : r);
          }
          const aligned = alignRows(rows, widths);
          widths = aligned.widths;
          ctx.out(aligned.lines.join("\n"));
        } else {
          for (const e of events)
            ctx.out(formatWatchObject(ctx, e.object, watch.events ? e.type : undefined));
        }
      }
      const until = Date.now() + WATCH_POLL_MS;
      while (!stopped && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
    }
    return 0;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    process.stdout.off("error", stop);
  }
}
