// describeRollout(): kubectl's DeploymentStatusViewer messages, one case per branch, in its order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeRollout, type RolloutStatusView } from "../../src/ops/rollout.ts";

function view(over: Partial<RolloutStatusView>): RolloutStatusView {
  return {
    name: "web",
    generation: 2,
    observedGeneration: 2,
    paused: false,
    revision: 2,
    templateHash: "abc",
    replicas: 4,
    totalReplicas: 4,
    updatedReplicas: 4,
    readyReplicas: 4,
    availableReplicas: 4,
    conditions: [],
    failing: [],
    ...over,
  };
}

test("describeRollout() says what kubectl rollout status says, branch by branch", () => {
  const d = (over: Partial<RolloutStatusView>) => describeRollout(view(over), "deployment");
  assert.deepEqual(d({ observedGeneration: 1 }), {
    message: "Waiting for rollout spec update to be observed...",
    done: false,
  });
  assert.deepEqual(d({ updatedReplicas: 1, totalReplicas: 5 }), {
    message: "Waiting for rollout to finish: 1 out of 4 new replicas have been updated...",
    done: false,
  });
  assert.deepEqual(d({ totalReplicas: 5 }), {
    message: "Waiting for rollout to finish: 1 old replicas are pending termination...",
    done: false,
  });
  assert.deepEqual(d({ availableReplicas: 3 }), {
    message: "Waiting for rollout to finish: 3 of 4 updated replicas are available...",
    done: false,
  });
  assert.deepEqual(d({}), { message: 'deployment "web" successfully rolled out', done: true });
});

test("describeRollout() fails on a passed deadline first, then on a new pod stuck for good", () => {
  const deadline = {
    type: "Progressing",
    status: "False",
    reason: "ProgressDeadlineExceeded",
    message: "",
    lastUpdateTime: null,
    lastTransitionTime: null,
  };
  const stuck = { pod: "web-1", container: "main", reason: "ErrImagePull", message: "no such image" };
  assert.equal(
    describeRollout(view({ conditions: [deadline], failing: [stuck] }), "podset").error,
    'podset "web" exceeded its progress deadline',
  );
  const r = describeRollout(view({ updatedReplicas: 1, failing: [stuck] }), "podset");
  assert.equal(r.done, false);
  assert.equal(
    r.error,
    'podset "web" rollout failed: pod "web-1" container "main" is in ErrImagePull: no such image',
  );
});
