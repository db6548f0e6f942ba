package server

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/staygraph/staygraph/internal/cardnumber"
)

// LogHandler is a slog.Handler that adds the request id of the context to
// every record and redacts credentials and personal data: attributes named
// like a secret or personal field (authorization, x-api-key, token,
// password, email, phone, variables, ...) lose their value, and every string
// or error value has bearer tokens, JWTs, API keys, email addresses and card
// numbers blanked out.
type LogHandler struct {
	next slog.Handler
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler returns a LogHandler writing to next; next itself when it
// is a LogHandler already.
func NewLogHandler(next slog.Handler) *LogHandler {
	if h, ok := next.(*LogHandler); ok {
		return h
	}
	return &LogHandler{next: next}
}

// Enabled reports whether next handles records at level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts r, adds the request id and passes it on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	if id := RequestID(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	return h.next.Handle(ctx, out)
}

// WithAttrs returns a handler whose records carry attrs, redacted.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &LogHandler{next: h.next.WithAttrs(red)}
}

// WithGroup returns a handler that nests later attributes under name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}

// redacted replaces the value of a sensitive attribute.
const redacted = "[redacted]"

// sensitiveKeys name attributes whose value is never logged, compared
// lower-case with '-' read as '_'.
var sensitiveKeys = map[string]bool{
	"authorization": true, "x_api_key": true, "api_key": true, "apikey": true,
	"token": true, "access_token": true, "refresh_token": true, "bearer": true, "jwt": true,
	"password": true, "secret": true, "cookie": true, "set_cookie": true,
	"email": true, "phone": true, "variables": true, "card": true, "card_number": true,
	"headers": true, "body": true,
}

func redactAttr(a slog.Attr) slog.Attr {
	if sensitiveKeys[strings.ReplaceAll(strings.ToLower(a.Key), "-", "_")] {
		return slog.String(a.Key, redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, g := range group {
			out[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok && err != nil {
			return slog.String(a.Key, scrub(err.Error()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// A JWT and an API key as they are written, wherever they appear.
const (
	jwtForm    = `eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`
	apiKeyForm = `sg_[a-z0-9]{12}_[A-Za-z0-9_-]+`
)

var (
	bearerPattern = regexp.MustCompile(`(?i)\bbearer\s+\S+`)
	jwtPattern    = regexp.MustCompile(`\b` + jwtForm)
	apiKeyPattern = regexp.MustCompile(`\b` + apiKeyForm)
	// The password of a URL's user ("postgres://app:secret@db:5432").
	urlPasswordPattern = regexp.MustCompile(`(://[^/\s:@]*:)[^/\s@]+@`)
	// A mailbox at a domain whose last label starts with a letter: not a
	// user at an IP address, as in a local database URL.
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*`)
)

// scrub blanks credentials and personal data out of a log string.
func scrub(s string) string {
	if s == "" {
		return s
	}
	s = bearerPattern.ReplaceAllString(s, "Bearer "+redacted)
	s = jwtPattern.ReplaceAllString(s, redacted)
	s = apiKeyPattern.ReplaceAllString(s, redacted)
	if strings.IndexByte(s, '@') >= 0 {
		s = urlPasswordPattern.ReplaceAllString(s, "${1}"+redacted+"@")
		s = emailPattern.ReplaceAllString(s, "[email]")
	}
	return cardnumber.Redact(s)
}

// AccessLog logs one line per request through log: method, path (never the
// query string, which may hold variables), status and duration, at debug
// level, and at info when the request failed with 5xx or took over a
// second. Headers are never logged. Give log a LogHandler so the line
// carries the request id.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			d := time.Since(start)
			level := slog.LevelDebug
			if d > time.Second || rec.status >= 500 {
				level = slog.LevelInfo
			}
			log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration", d)
		})
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
