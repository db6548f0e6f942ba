package sandbox

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every token this package documents is in the user's docs (docs/api.md
// lists them): tok_refund_fails is the only way to see a FAILED refund on a
// development server, and tok_timeout_then_failure a reconciliation that
// ends declined.
func TestEveryTokenIsInTheDocs(t *testing.T) {
	src, err := os.ReadFile("sandbox.go")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\s+(tok_[a-z_<>N]+)`).FindAllStringSubmatch(string(src), -1) {
		tokens[m[1]] = true
	}
	var docs strings.Builder
	for _, p := range []string{"../../../README.md", "../../../schema.graphqls"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	mds, _ := filepath.Glob("../../../docs/*.md")
	for _, p := range mds {
		b, _ := os.ReadFile(p)
		docs.Write(b)
	}
	for tok := range tokens {
		if !strings.Contains(docs.String(), tok) {
			t.Errorf("sandbox token %s is not named in README.md, docs/*.md or schema.graphqls", tok)
		}
	}
}
