package notifytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request is one request an HTTPPeer received.
type Request struct {
	Method string
	Header http.Header
	Body   []byte
	// Status is what the peer answered.
	Status int
	// At is when it arrived.
	At time.Time
}

// HTTPPeer is a real HTTP server (httptest) playing an SMS gateway or a
// partner's webhook endpoint: it records every request and answers with
// scripted status codes.
type HTTPPeer struct {
	// URL is where the peer listens.
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	script  []int
	body    string
	header  http.Header
	delay   time.Duration
	got     []Request
	arrived chan struct{}
}

// NewHTTPPeer starts a peer that answers 200 until told otherwise; it stops
// when the test ends.
func NewHTTPPeer(t testing.TB) *HTTPPeer {
	t.Helper()
	p := &HTTPPeer{script: []int{http.StatusOK}, arrived: make(chan struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Respond scripts the answers: the next requests get codes in order, and
// the last code repeats forever.
func (p *HTTPPeer) Respond(codes ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append([]int(nil), codes...)
}

// Body makes the peer answer with body ("": a small JSON status).
func (p *HTTPPeer) Body(body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body = body
}

// Header makes the peer answer with the header key: value ("" drops it),
// a Retry-After say.
func (p *HTTPPeer) Header(key, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.header == nil {
		p.header = http.Header{}
	}
	if value == "" {
		p.header.Del(key)
		return
	}
	p.header.Set(key, value)
}

// Delay makes the peer wait d before answering (0: answer at once).
func (p *HTTPPeer) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Requests returns the requests received so far.
func (p *HTTPPeer) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.got...)
}

// Await waits until at least n requests arrived and returns them, failing
// the test after timeout.
func (p *HTTPPeer) Await(t testing.TB, n int, timeout time.Duration) []Request {
	t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		got, arrived := append([]Request(nil), p.got...), p.arrived
		p.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("http peer: %d request(s) arrived within %s, want %d", len(got), timeout, n)
		}
	}
}

func (p *HTTPPeer) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	status, delay, answer, header := http.StatusOK, p.delay, p.body, p.header.Clone()
	if len(p.script) > 0 {
		status = p.script[0]
		if len(p.script) > 1 {
			p.script = p.script[1:]
		}
	}
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	p.mu.Lock()
	p.got = append(p.got, Request{Method: r.Method, Header: r.Header.Clone(), Body: body, Status: status, At: at})
	close(p.arrived)
	p.arrived = make(chan struct{})
	p.mu.Unlock()
	if answer == "" {
		answer = `{"status":"` + http.StatusText(status) + `"}`
	}
	w.Header().Set("Content-Type", "application/json")
	for key, values := range header {
		w.Header()[key] = values
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}
