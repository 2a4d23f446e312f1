package extension_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNodeUnitTests runs the extension's unit tests (node's built-in test runner) and
// fails when they fail. It skips when node is not installed.
func TestNodeUnitTests(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("skipping the extension's unit tests: node is not installed (apt-get install nodejs)")
	}
	cmd := exec.Command(node, "--test") // finds test/*.test.js on node 18 and later
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "# pass") || strings.HasPrefix(line, "# fail") {
			t.Log(line)
		}
	}
	if !strings.Contains(string(out), "# fail 0") {
		t.Fatalf("node --test reported failures:\n%s", out)
	}
}
