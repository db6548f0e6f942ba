package stripe_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// installStripeMock is how to get stripe-mock, Stripe's own mock of its API
// (it checks every request against Stripe's OpenAPI spec and answers with
// fixtures). .ci/run runs it, so CI never skips.
const installStripeMock = "go install github.com/stripe/stripe-mock@v0.203.0"

// requireStripeMock, when set in the environment, turns "stripe-mock is not
// installed" from a skip into a failure (CI sets it).
const requireStripeMock = "STAYGRAPH_REQUIRE_STRIPE_MOCK"

// Fixture sets a stripe-mock server answers with.
const (
	// bundled: stripe-mock's own fixtures. Every PaymentIntent is
	// requires_payment_method with empty metadata; refunds succeed.
	bundled = ""
	// captured: PaymentIntents are succeeded, 12000 received, metadata
	// staygraph_key "sg_found", id pi_captured; refunds are pending.
	captured = "testdata/captured.json"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mocks.stopAll()
	os.Exit(code)
}

// mocks are the stripe-mock servers of this test binary, one per fixture set,
// started by the first test that needs one and stopped by TestMain.
var mocks = &mockServers{byFixtures: map[string]*mockServer{}}

type mockServers struct {
	mu         sync.Mutex
	byFixtures map[string]*mockServer
}

type mockServer struct {
	url string
	err error
	cmd *exec.Cmd
}

// stripeMockURL returns the base URL of a stripe-mock answering with
// fixtures. It skips the test when stripe-mock is not installed.
func stripeMockURL(t *testing.T, fixtures string) string {
	t.Helper()
	bin, ok := stripeMockBinary()
	if !ok {
		if os.Getenv(requireStripeMock) != "" {
			t.Fatalf("stripe-mock is not installed and %s is set; install it: %s", requireStripeMock, installStripeMock)
		}
		t.Skipf("stripe-mock is not installed (not on PATH nor in $(go env GOPATH)/bin); install it: %s", installStripeMock)
	}
	mocks.mu.Lock()
	defer mocks.mu.Unlock()
	s, ok := mocks.byFixtures[fixtures]
	if !ok {
		s = startStripeMock(bin, fixtures)
		mocks.byFixtures[fixtures] = s
	}
	if s.err != nil {
		t.Fatalf("start stripe-mock (%s): %v", bin, s.err)
	}
	return s.url
}

// stripeMockBinary finds stripe-mock on PATH, in GOBIN or in GOPATH/bin.
func stripeMockBinary() (string, bool) {
	if path, err := exec.LookPath("stripe-mock"); err == nil {
		return path, true
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", false
	}
	lines := strings.Split(string(out), "\n")
	var dirs []string
	if lines[0] != "" {
		dirs = append(dirs, lines[0])
	}
	if len(lines) > 1 {
		for _, p := range filepath.SplitList(lines[1]) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, "stripe-mock")
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path, true
		}
	}
	return "", false
}

// startStripeMock starts stripe-mock on free loopback ports and waits until
// it listens. It prints "Listening for HTTP at address: 127.0.0.1:N".
func startStripeMock(bin, fixtures string) *mockServer {
	args := []string{"-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0"}
	if fixtures != bundled {
		abs, err := filepath.Abs(fixtures)
		if err != nil {
			return &mockServer{err: err}
		}
		args = append(args, "-fixtures", abs)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return &mockServer{err: err}
	}
	if err := cmd.Start(); err != nil {
		return &mockServer{err: err}
	}
	addr := make(chan string, 1)
	go func() {
		const prefix = "Listening for HTTP at address: "
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				addr <- a
				break
			}
		}
		close(addr)
		_, _ = io.Copy(io.Discard, stdout) // keep its stdout drained
	}()
	select {
	case a, ok := <-addr:
		if ok {
			return &mockServer{url: "http://" + a, cmd: cmd}
		}
		_ = cmd.Wait()
		return &mockServer{err: fmt.Errorf("stripe-mock exited without listening: %s", stderr.String())}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return &mockServer{err: fmt.Errorf("stripe-mock did not listen within 2 minutes: %s", stderr.String())}
	}
}

func (m *mockServers) stopAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.byFixtures {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	}
}

// exchange is one request to the API and its answer.
type exchange struct {
	Method, Path string
	Header       http.Header
	// Form is the request's parameters: the query of a GET, the form body of a POST.
	Form   url.Values
	Status int
	Body   []byte
}

// recorder is the provider's HTTP transport in tests: it passes every
// request on and records the exchange.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	form := req.URL.Query()
	if len(body) > 0 {
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, err
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, exchange{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(),
		Form: form, Status: resp.StatusCode, Body: answer})
	return resp, nil
}

// all returns the exchanges so far, failing the test on any that stripe-mock
// rejected: a 4xx from it means the request broke Stripe's spec.
func (r *recorder) all(t *testing.T) []exchange {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.exchanges {
		if e.Status >= 300 {
			t.Fatalf("stripe-mock rejected %s %s %v: %d %s", e.Method, e.Path, e.Form, e.Status, e.Body)
		}
	}
	return append([]exchange(nil), r.exchanges...)
}

// withStripeMock returns a provider talking to a stripe-mock answering with
// fixtures, and the recorder of its requests.
func withStripeMock(t *testing.T, fixtures string) (*stripe.Provider, *recorder) {
	t.Helper()
	rec := &recorder{}
	p := stripe.New("sk_test_123", stripe.Opts{BackendURL: stripeMockURL(t, fixtures), HTTPClient: &http.Client{Transport: rec}})
	return p, rec
}
