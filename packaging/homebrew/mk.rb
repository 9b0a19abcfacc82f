# Homebrew (Linux) formula for mk; scripts/release.sh fills in url, version and sha256.
class Mk < Formula
  desc "Single-binary, Kubernetes-style container orchestrator for Docker hosts"
  homepage "https://github.com/mk-orchestrator/mk"
  url "https://github.com/mk-orchestrator/mk/releases/download/v0.1.0/mk-0.1.0-linux-x64.tar.gz"
  version "0.1.0"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MIT"

  depends_on arch: :x86_64
  depends_on :linux

  def install
    bin.install "mk"
  end

  test do
    # mk writes its SQLite library to the cache dir on first use; keep it inside the sandbox.
    ENV["XDG_CACHE_HOME"] = (testpath/"cache").to_s
    assert_match version.to_s, shell_output("#{bin}/mk version")

    (testpath/"pod.yaml").write <<~YAML
      apiVersion: v1
      kind: Pod
      metadata:
        name: brew-test
      spec:
        containers:
          - name: main
            image: busybox:1
            command: ["sleep", "3600"]
    YAML
    output = shell_output("#{bin}/mk apply --dry-run -f #{testpath}/pod.yaml --state #{testpath}/state.db")
    assert_match "pod/brew-test created (dry run)", output
  end
end
