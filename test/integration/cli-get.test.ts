// The CLI as a kubectl user types it, against a real `mk server` on the real Docker engine:
// TYPE/NAME and short names, several names, get all, label and field selectors, -L,
// --show-labels, --sort-by, --no-headers, -n/-A, -o name|wide|jsonpath, Kubernetes-shaped
// -o yaml|json and the round trip `get -o yaml | apply -f -` = unchanged for every kind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { IMAGE, MAIN, requireDocker, Sandbox } from "./harness.ts";

const TSX = import.meta.resolve("tsx");

let box: Sandbox;
let url = "";

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, tier: front } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: ${IMAGE}
          command: [sh, -c, "echo web-says-hi; sleep 3600"]
          resources: { requests: { cpu: 50m, memory: 16Mi } }
---
apiVersion: mk/v1
kind: PodSet
metadata: { name: api }
spec:
  replicas: 1
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api, tier: back } }
    spec:
      terminationGracePeriodSeconds: 0
      restartBackoff: { initial: 1s }
      containers: [{ name: main, image: ${IMAGE}, command: [sleep, "3600"] }]
---
apiVersion: v1
kind: Pod
metadata: { name: hello, labels: { app: hello }, annotations: { note: hi } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: c
      image: ${IMAGE}
      command: [sh, -c, "echo hello-says-hi; sleep 3600"]
      readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 }
---
apiVersion: mk/v1
kind: Autoscaler
metadata: { name: web }
spec: { target: { kind: Deployment, name: web }, minReplicas: 2, maxReplicas: 4 }
`;

const mk = (args: string[], input?: string) =>
  box.mk(args, { env: { MK_SERVER: url }, ...(input !== undefined ? { input } : {}) });
async function ok(args: string[], input?: string): Promise<string> {
  const r = await mk(args, input);
  assert.equal(r.code, 0, `mk ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const lines = (s: string) => s.trimEnd().split("\n");

before(async () => {
  await requireDocker();
  box = new Sandbox();
  url = (await box.server(["--resync", "1s"])).url;
  const file = join(box.dir, "all.yaml");
  writeFileSync(file, MANIFESTS);
  const out = await ok(["apply", "-f", file, "--timeout", "60s"]);
  assert.match(out, /^deployment\.apps\/web created$/m, "the kind the user wrote");
  assert.match(out, /^podset\/api created$/m);
  assert.match(out, /^pod\/hello created$/m);
});
after(async () => {
  await box?.cleanup();
});

test("apply -o wide shows what a Deployment is stored as; -o name prints TYPE/NAME", async () => {
  const file = join(box.dir, "all.yaml");
  const wide = await ok(["apply", "-f", file, "-o", "wide", "--no-wait"]);
  assert.match(wide, /^deployment\.apps\/web unchanged \(stored as podset\/web\)$/m);
  const names = lines(await ok(["apply", "-f", file, "-o", "name", "--no-wait"]));
  assert.deepEqual(names.sort(), ["autoscaler/web", "deployment.apps/web", "pod/hello", "podset/api"]);
});

test("TYPE/NAME, TYPE NAME..., short names and several names at once", async () => {
  const podNames = lines(await ok(["get", "po", "-o", "name"]));
  assert.equal(podNames.length, 4, podNames.join(","));
  const web = podNames.filter((n) => n.startsWith("pod/web-"));
  assert.equal(web.length, 2);
  const two = lines(await ok(["get", "pods", "hello", (web[0] ?? "").slice(4), "--no-headers"]));
  assert.equal(two.length, 2);
  assert.match(two[0] ?? "", /^hello\s+1\/1\s+Running/);
  const mixed = lines(await ok(["get", "pod/hello", "deploy/web", "ps/api", "-o", "name"]));
  assert.deepEqual(mixed, ["pod/hello", "deployment.apps/web", "podset/api"]);
  for (const word of ["deployment/web", "deployments.apps/web", "podset/web", "deploy/web"])
    assert.equal((await ok(["get", word, "-o", "name"])).trim(), "deployment.apps/web", word);
  assert.equal((await ok(["get", "no/local", "-o", "name"])).trim(), "node/local");
  assert.equal((await ok(["get", "hpa", "-o", "name"])).trim(), "autoscaler/web");
  const missing = await mk(["get", "pods", "hello", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /^hello\s/m, "the pods found are still printed");
  assert.match(missing.stderr, /^Error from server \(NotFound\): pods "nope" not found$/m);
  const bad = await mk(["get", "pod/hello", "web"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"web" has no type/);
});

test("get all lists pods, podsets and autoscalers with TYPE/NAME names", async () => {
  const out = await ok(["get", "all"]);
  assert.match(out, /^pod\/hello\s/m);
  assert.match(out, /^deployment\.apps\/web\s+2\/2\s+2\s+2\s/m);
  assert.match(out, /^podset\/api\s+1\/1\s+1\s+1\s/m);
  assert.match(out, /^autoscaler\/web\s+(deployment|podset)\/web/im);
  assert.equal(out.split("\n\n").length, 3, "three tables");
});

test("label selectors: =, ==, !=, in, notin, key, !key, comma = and", async () => {
  // The grammar is unit-tested (test/ops/selector.test.ts); here each operator once, end to end.
  const sel = async (s: string) =>
    lines(await ok(["get", "pods", "-l", s, "-o", "name"])).filter(Boolean).length;
  assert.equal(await sel("app==web"), 2);
  assert.equal(await sel("app!=web"), 2);
  assert.equal(await sel("tier in (front,back),!nothing"), 3);
  assert.equal(await sel("tier notin (front)"), 2);
  assert.equal(await sel("!tier"), 1);
  const none = await mk(["get", "pods", "-l", "app=nothing"]);
  assert.equal(none.code, 0);
  assert.match(none.stderr, /No resources found in default namespace/);
  const bad = await mk(["get", "pods", "-l", "tier in (a"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /-l: Cannot parse selector "tier in \(a": expected "\)" to close the values of "tier in"/,
  );
  assert.equal(lines(await ok(["get", "deploy", "-l", "app=web", "-o", "name"])).length, 1, "podsets too");
});

test("--field-selector on status.phase, spec.nodeName and metadata.name; unknown fields are refused", async () => {
  const count = async (f: string) =>
    (await ok(["get", "pods", "--field-selector", f, "-o", "name"])).split("\n").filter(Boolean).length;
  assert.equal(await count("status.phase=Running,spec.nodeName=local"), 4);
  assert.equal(await count("spec.nodeName!=local"), 0);
  assert.equal(await count("metadata.name==hello"), 1);
  const bad = await mk(["get", "pods", "--field-selector", "status.podPhase=Running"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"status.podPhase" is not a known field selector: supported are "metadata.name"/);
});

test("--show-labels, -L, --sort-by and --no-headers", async () => {
  const shown = await ok(["get", "pods", "hello", "--show-labels"]);
  assert.match(lines(shown)[0] ?? "", /\sLABELS$/);
  assert.match(lines(shown)[1] ?? "", /\sapp=hello$/);
  const cols = lines(await ok(["get", "pods", "-L", "app", "-L", "tier"]));
  assert.match(cols[0] ?? "", /\sAPP\s+TIER$/);
  assert.ok(
    cols.some((l) => /^hello\s.*\shello\s+<none>$/.test(l)),
    cols.join("\n"),
  );
  const byName = lines(await ok(["get", "pods", "--sort-by", ".metadata.name", "--no-headers"])).map(
    (l) => l.split(/\s+/)[0],
  );
  assert.deepEqual(byName, [...(byName as string[])].sort());
  assert.ok(!byName.includes("NAME"));
  const byTime = lines(await ok(["get", "pods", "--sort-by", "{.metadata.creationTimestamp}", "-o", "name"]));
  assert.equal(byTime.length, 4);
});

test("-n default and -A are accepted silently; any other namespace is refused with exit 1", async () => {
  assert.equal(lines(await ok(["get", "pods", "-n", "default", "-o", "name"])).length, 4);
  assert.equal(lines(await ok(["get", "pods", "-A", "--namespace=default", "-o", "name"])).length, 4);
  const r = await mk(["get", "pods", "-n", "kube-system"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Namespace "kube-system" does not exist: mk has one namespace, "default"/);
  assert.equal((await mk(["delete", "pod", "hello", "-n", "prod"])).code, 1, "refused before deleting");
  assert.match(await ok(["get", "pod", "hello", "-o", "name"]), /pod\/hello/);
});

test("-o wide adds columns for every resource", async () => {
  for (const [type, extra] of [
    ["pods", ["IP", "OWNER"]],
    ["deploy", ["CONTAINERS", "IMAGES", "SELECTOR", "APPLIED AS"]],
    ["nodes", ["DOCKER", "VERSION"]],
    ["events", ["FIRST SEEN", "NODE"]],
    ["hpa", ["APPLIED AS"]],
  ] as const) {
    const wide = lines(await ok(["get", type, "-o", "wide"]))[0] ?? "";
    for (const h of extra) assert.ok(wide.includes(h), `${type} -o wide has ${h}: ${wide}`);
  }
  const narrow = lines(await ok(["get", "deploy"]))[0] ?? "";
  assert.ok(!narrow.includes("IMAGES"), "podsets print more columns with -o wide, not the same");
  const deploy = await ok(["get", "deploy", "web", "-o", "wide"]);
  assert.match(deploy, /main\s+mk\.local\/busybox:1\s+app=web\s+Deployment \(apps\/v1\)/);
});

test("-o jsonpath: fields, [*], range and literals", async () => {
  assert.equal(await ok(["get", "pod", "hello", "-o", "jsonpath={.status.phase}"]), "Running");
  assert.equal(await ok(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "2");
  const names = await ok(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"]);
  assert.equal(names.split(" ").length, 2);
  const table = await ok([
    "get",
    "pods",
    "--sort-by",
    ".metadata.name",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[0].image}{"\\n"}{end}',
  ]);
  assert.match(table, /^api-\S+\tmk\.local\/busybox:1\nhello\tmk\.local\/busybox:1\n/);
  assert.equal(table.split("\n").length, 5);
  const bad = await mk(["get", "pods", "-o", "jsonpath={range .items[*]}"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /\{range\} without \{end\}/);
});

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    creationTimestamp: string;
    generation?: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; controller: boolean }[];
  };
  spec: {
    containers: { image: string }[];
    template: { spec: { containers: { resources: { requests: { cpu: string } } }[] } };
  };
  status: Record<string, unknown>;
  items: Obj[];
}

test("-o yaml|json prints Kubernetes-shaped objects; the flat record is status; lists are kind: List", async () => {
  const pod = parse(await ok(["get", "pod/hello", "-o", "yaml"])) as Obj;
  assert.equal(pod.apiVersion, "v1");
  assert.equal(pod.kind, "Pod");
  assert.equal(pod.metadata.name, "hello");
  assert.equal(pod.metadata.namespace, "default");
  assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.ok(Date.parse(pod.metadata.creationTimestamp) > 0);
  assert.equal(pod.metadata.generation, 1);
  assert.deepEqual(pod.metadata.labels, { app: "hello" });
  assert.deepEqual(pod.metadata.annotations, { note: "hi" });
  assert.equal(pod.spec.containers[0]?.image, IMAGE);
  // The API's record, unchanged, under status (docs/cli.md).
  for (const k of ["name", "owner", "node", "phase", "ready", "deletionRequestedAt", "restarts"])
    assert.ok(k in pod.status, k);
  assert.equal(pod.status.phase, "Running");
  const list = JSON.parse(await ok(["get", "pods", "-o", "json"])) as Obj;
  assert.equal(list.kind, "List");
  assert.equal(list.apiVersion, "v1");
  assert.equal(list.items.length, 4);
  const owned = list.items.find((i) => i.metadata.name.startsWith("web-"));
  assert.deepEqual(
    owned?.metadata.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.controller]),
    [["apps/v1", "Deployment", "web", true]],
  );
  const deploy = JSON.parse(await ok(["get", "deploy", "web", "-o", "json"])) as Obj;
  assert.deepEqual([deploy.apiVersion, deploy.kind], ["apps/v1", "Deployment"]);
  assert.equal(deploy.spec.template.spec.containers[0]?.resources.requests.cpu, "50m");
  assert.equal(deploy.status.replicas, 2);
  // Kubernetes' own status fields too, as kubectl scripts read them.
  assert.match(
    await ok([
      "get",
      "pod",
      "hello",
      "-o",
      'jsonpath={.status.podIP} {.status.containerStatuses[0].restartCount} {.status.conditions[?(@.type=="Ready")].status}',
    ]),
    /^\d+\.\d+\.\d+\.\d+ 0 True$/,
  );
  assert.equal(
    await ok(["get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas} {.status.availableReplicas}"]),
    "2 2",
  );
  // The API keeps its flat records.
  const api = (await (await fetch(`${url}/api/v1/pods`)).json()) as Record<string, unknown>[];
  assert.ok(api.every((p) => typeof p.name === "string" && "phase" in p && !("metadata" in p)));
});

test("round trip: for every kind, get -o yaml | apply -f - and get -o json | apply -f - are unchanged", async () => {
  const podSetPod = lines(await ok(["get", "pods", "-l", "app=api", "-o", "name"]))[0] ?? "";
  const deployPod = lines(await ok(["get", "pods", "-l", "app=web", "-o", "name"]))[0] ?? "";
  // Every kind at once: a standalone pod, a PodSet's and a Deployment's pod, a Deployment, a
  // PodSet, a node and an autoscaler, printed as one List in each format and applied back.
  const refs = [
    "pod/hello",
    podSetPod,
    deployPod,
    "deploy/web",
    "podset/api",
    "node/local",
    "autoscaler/web",
  ];
  for (const format of ["yaml", "json"]) {
    const out = lines(await ok(["apply", "-f", "-", "--no-wait"], await ok(["get", ...refs, "-o", format])));
    assert.equal(out.length, refs.length, out.join("\n"));
    assert.ok(
      out.every((l) => / unchanged$/.test(l)),
      `-o ${format}:\n${out.join("\n")}`,
    );
  }
  // One object (not a List) each way, and every pod as kubectl users pipe it.
  for (const [ref, format] of [
    ["deploy/web", "yaml"],
    ["pod/hello", "json"],
    ["pods", "yaml"],
  ] as const) {
    const out = lines(await ok(["apply", "-f", "-", "--no-wait"], await ok(["get", ref, "-o", format])));
    assert.ok(
      out.length > 0 && out.every((l) => / unchanged$/.test(l)),
      `${ref} -o ${format}: ${out.join("\n")}`,
    );
  }
  // A changed field is still a change, and typos are still refused.
  const yaml = await ok(["get", "deploy/web", "-o", "yaml"]);
  assert.match(
    await ok(["apply", "-f", "-", "--dry-run"], yaml.replace("replicas: 2", "replicas: 3")),
    /configured/,
  );
  const typo = await mk(["apply", "-f", "-", "--dry-run"], yaml.replace("minReadySeconds", "minReadySecond"));
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /minReadySecond/);
});

test("describe takes TYPE/NAME, shows the Deployment mapping, and node quantities as get nodes does", async () => {
  const d = await ok(["describe", "deployment/web"]);
  assert.match(d, /^Applied As:\s+Deployment \(apps\/v1\) -> podset\/web$/m);
  const n = await ok(["describe", "no", "local"]);
  assert.match(n, /^Capacity:\s+cpu \d+(m)?, memory \d+(\.\d)?(Ki|Mi|Gi|Ti)$/m);
  assert.doesNotMatch(n, /memoryBytes|cpuMilli/);
  const several = await ok(["describe", "pods", "-l", "app=web"]);
  assert.equal(several.match(/^Name:/gm)?.length, 2);
});

test("logs: pod/NAME, -l with prefixed lines, deploy/NAME, and why a pod has no logs yet", async () => {
  assert.match(await ok(["logs", "pod/hello"]), /^hello-says-hi$/m);
  const all = await ok(["logs", "-l", "app in (web,hello)"]);
  assert.match(all, /^\[pod\/hello\/c\] hello-says-hi$/m);
  assert.equal(all.match(/^\[pod\/web-[a-z0-9-]+\/main\] web-says-hi$/gm)?.length, 2, all);
  assert.match(await ok(["logs", "deploy/web"]), /^web-says-hi$/m);
  const file = join(box.dir, "stuck.yaml");
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Pod\nmetadata: { name: stuck }\nspec:\n  nodeSelector: { disk: none }\n  containers: [{ name: c, image: ${IMAGE} }]\n`,
  );
  await ok(["apply", "-f", file, "--no-wait"]);
  const r = await mk(["logs", "stuck"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Pod stuck has no logs: it is Pending, not scheduled yet \(.+\)/);
  await ok(["delete", "pod", "stuck", "--wait=false"]);
});

test("scale takes TYPE NAME and TYPE/NAME; --replicas abc is a usage error naming the flag", async () => {
  // Exact counts on podset/api, which no autoscaler drives: autoscaler/web may set web's replicas
  // back to its recommendation at any moment (as an HPA does after a manual scale).
  assert.match(await ok(["scale", "ps", "api", "--replicas", "3"]), /^podset\/api scaled from 1 to 3$/m);
  assert.match(await ok(["scale", "podset/api", "--replicas", "1"]), /^podset\/api scaled from 3 to 1$/m);
  assert.match(
    await ok(["scale", "deploy", "web", "--replicas", "2"]),
    /^deployment\.apps\/web scaled from \d+ to 2$/m,
  );
  assert.match(await ok(["scale", "deployment/web", "--replicas", "2"]), /scaled from \d+ to 2/);
  const bad = await mk(["scale", "deploy", "web", "--replicas", "abc"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--replicas abc: expected a whole number 0\.\.1000/);
  const wrong = await mk(["scale", "pod/hello", "--replicas", "2"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /mk scale does not take pods/);
});

test("kubectl habits: -oyaml, -owide, -lapp=web -oname, -ndefault, negative values, unknown short flags, | head", async () => {
  const yaml = await ok(["get", "pod", "hello", "-oyaml"]);
  assert.match(yaml, /^apiVersion: v1\nkind: Pod\n/);
  assert.match(await ok(["apply", "-f", "-"], yaml), /^pod\/hello unchanged$/m);
  assert.match(lines(await ok(["get", "pods", "-owide"]))[0] ?? "", /\bIP\b.*\bOWNER\b/);
  assert.deepEqual(lines(await ok(["get", "pods", "-lapp=hello", "-oname", "-ndefault"])), ["pod/hello"]);
  assert.deepEqual(lines(await ok(["get", "po", "-l=app=hello", "-o=name"])), ["pod/hello"]);
  const negative = await mk(["scale", "deploy/web", "--replicas", "-1"]);
  assert.equal(negative.code, 2);
  assert.match(negative.stderr, /^error: --replicas -1: expected a whole number 0\.\.1000$/m);
  const short = await mk(["get", "pods", "-x"]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /^error: Unknown flag -x; run mk get --help$/m);
  const missing = await mk(["scale", "deploy", "nope", "--replicas", "1"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): deployments\.apps "nope" not found$/m);
  // kubectl's --dry-run=client validates and writes nothing.
  const api3 = (await ok(["get", "ps/api", "-oyaml"])).replace(/^ {2}replicas: 1$/m, "  replicas: 3");
  assert.match(
    await ok(["apply", "-f", "-", "--dry-run=client", "--no-wait"], api3),
    /^podset\/api configured \(dry run\)$/m,
  );
  assert.equal(await ok(["get", "ps/api", "-o", "jsonpath={.spec.replicas}"]), "1");
  assert.deepEqual(
    lines(
      await ok([
        "get",
        "pods",
        "-l",
        "app=hello",
        "-o",
        "custom-columns=NAME:.metadata.name,PHASE:.status.phase",
      ]),
    ),
    ["NAME    PHASE", "hello   Running"],
  );
  // wait: --all, a Deployment named as kubectl names it, and --for=jsonpath.
  assert.deepEqual(
    lines(await ok(["wait", "--for=condition=Available", "deploy", "--all", "--timeout", "30s"])).sort(),
    ["deployment.apps/api condition met", "deployment.apps/web condition met"],
  );
  assert.equal(
    await ok(["wait", "--for=jsonpath={.status.phase}=Running", "pod/hello", "--timeout", "30s"]),
    "pod/hello condition met\n",
  );
  const never = await mk([
    "wait",
    "--for=jsonpath={.status.phase}=Succeeded",
    "pod/hello",
    "--timeout",
    "1s",
  ]);
  assert.equal(never.code, 1);
  assert.match(never.stderr, /timed out after 1s waiting for pod\/hello/);
  // exec takes a Deployment's TYPE/NAME as kubectl does: one of its pods.
  assert.match(await ok(["exec", "deploy/web", "-cmain", "--", "hostname"]), /^web-[a-z0-9]+-[a-z0-9]+\n$/);
  // The reader of the pipe goes away (mk get pods | true): a quiet exit, no EPIPE stack trace.
  const piped = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, MAIN, "get", "pods", "-o", "yaml"], {
      env: box.env({ MK_SERVER: url }),
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(piped.stderr, "");
  assert.equal(piped.code, 0);
});

test("help: every command has a description and examples; mk help CMD; no doubled defaults", async () => {
  // Every command's description and examples: test/cli/docs.test.ts; here what cac makes of them.
  for (const cmd of ["get", "delete"]) {
    const h = await ok([cmd, "--help"]);
    assert.match(h, /\nDescription:\n {2}\S/, cmd);
    assert.match(h, /\nExamples:\n {2}\$ mk /, cmd);
    assert.doesNotMatch(h, /\(default; --no-wait|--no-\S+ .*\(default: true\)/, cmd);
  }
  assert.equal(await ok(["help", "get"]), await ok(["get", "--help"]));
});

test("/livez and /healthz answer; mk sql explains that writing pragmas are refused", async () => {
  assert.equal((await fetch(`${url}/livez`)).status, 200);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const r = await mk(["sql", "pragma journal_mode = delete"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /PRAGMA journal_mode = \.\.\. changes the database or the connection, and mk sql is read-only/,
  );
  assert.match(await ok(["sql", "pragma table_info(pods)"]), /deletion_grace_seconds/);
});
