// Package docs_test keeps docs/api.md honest: it runs every operation of the
// guided tour against the API and compares the answers with the documented
// ones. After a deliberate change, rewrite the documented answers with
//
//	go test ./docs/ -run TestAPIGuide -update
//
// and review the diff of docs/api.md like any other change.
package docs_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/apitest"
	"github.com/staygraph/staygraph/internal/auth"
)

var update = flag.Bool("update", false, "rewrite the documented responses of docs/api.md with the API's answers")

// block is a fenced code block of a Markdown file; start and end are the
// indexes of its fence lines.
type block struct {
	info       string
	body       string
	start, end int
}

func fencedBlocks(lines []string) ([]block, error) {
	var out []block
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		b := block{info: strings.TrimSpace(strings.TrimPrefix(lines[i], "```")), start: i}
		j := i + 1
		for ; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
		}
		if j == len(lines) {
			return nil, fmt.Errorf("line %d: code block never closed", i+1)
		}
		b.end, b.body = j, strings.Join(lines[i+1:j], "\n")
		out = append(out, b)
		i = j
	}
	return out, nil
}

// step is one documented operation: its query, variables and response.
type step struct {
	query     block
	variables *block
	response  block
}

// steps pairs each ```graphql block with the ```json blocks before the next
// one: one block is the response; two are the variables, then the response.
func steps(blocks []block) ([]step, error) {
	var out []step
	for i := 0; i < len(blocks); i++ {
		if blocks[i].info != "graphql" {
			continue
		}
		var js []block
		for j := i + 1; j < len(blocks) && blocks[j].info != "graphql"; j++ {
			if blocks[j].info == "json" {
				js = append(js, blocks[j])
			}
		}
		s := step{query: blocks[i]}
		switch len(js) {
		case 1:
			s.response = js[0]
		case 2:
			s.variables, s.response = &js[0], js[1]
		default:
			return nil, fmt.Errorf("line %d: a graphql block needs a json response block (after an optional json variables block), found %d json blocks", blocks[i].start+1, len(js))
		}
		out = append(out, s)
	}
	return out, nil
}

// collapse joins the lines of a short object or array.
var collapse = regexp.MustCompile(`\n\s*`)

var tokenLine = regexp.MustCompile(`(?m)^# Token: (ADMIN|GUEST|PARTNER)\b`)

// placeholders turns run-specific values (global ids, booking references,
// cursors, instants set by the database) into stable names, and back.
type placeholders struct {
	toName map[string]string // real value -> placeholder
	toReal map[string]string // placeholder -> real value
	counts map[string]int
	apiKey string // the last API key an answer showed: the PARTNER token
}

func newPlaceholders() *placeholders {
	return &placeholders{toName: map[string]string{}, toReal: map[string]string{}, counts: map[string]int{}}
}

// name returns the placeholder of a real value: "<kind N>", N counting the
// distinct values of that kind in order of first appearance.
func (p *placeholders) name(kind, real string) string {
	if n, ok := p.toName[real]; ok {
		return n
	}
	p.counts[kind]++
	n := fmt.Sprintf("<%s %d>", kind, p.counts[kind])
	p.toName[real], p.toReal[n] = n, real
	return n
}

// deterministicInstants are computed from the API's fixed clock and the
// catalog, so the docs show their real values.
var deterministicInstants = map[string]bool{"holdExpiresAt": true, "from": true, "until": true, "checkInAt": true, "checkOutAt": true}

func (p *placeholders) normalise(key, v string) any {
	switch key {
	case "reference":
		return p.name("reference", v)
	case "cursor", "endCursor", "startCursor":
		return "<cursor>"
	case "requestId":
		return "<request id>"
	case "secret":
		p.apiKey = v
		return "<api key>"
	case "prefix":
		return "<prefix>"
	}
	if kind, _, err := relay.Parse(v); err == nil && kind != "" {
		return p.name(string(kind), v)
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil && !deterministicInstants[key] {
		return "<instant>"
	}
	return v
}

// substitute puts the real values back into documented variables.
func (p *placeholders) substitute(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k := range v {
			v[k] = p.substitute(v[k])
		}
	case []any:
		for i := range v {
			v[i] = p.substitute(v[i])
		}
	case string:
		if real, ok := p.toReal[v]; ok {
			return real
		}
	}
	return v
}

// ordered re-encodes a response keeping the order of fields the server sent
// (the order of the query), with placeholders applied.
func ordered(raw json.RawMessage, p *placeholders) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var buf bytes.Buffer
	if err := reencode(dec, &buf, "", "", p); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func reencode(dec *json.Decoder, buf *bytes.Buffer, key, indent string, p *placeholders) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing, inner := "}", indent+"  "
		if t == '[' {
			closing = "]"
		}
		// A short object or array stays on one line.
		outer := buf
		buf = &bytes.Buffer{}
		defer func() {
			collapsed := collapse.ReplaceAllString(buf.String(), " ")
			if len(indent)+len(key)+len(collapsed) <= 76 {
				outer.WriteString(collapsed)
			} else {
				outer.Write(buf.Bytes())
			}
		}()
		buf.WriteString(t.String())
		first := true
		for dec.More() {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.WriteString("\n" + inner)
			childKey := key
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				childKey = k.(string)
				kb, _ := json.Marshal(childKey)
				buf.Write(kb)
				buf.WriteString(": ")
			}
			if err := reencode(dec, buf, childKey, inner, p); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		if !first {
			buf.WriteString("\n" + indent)
		}
		buf.WriteString(closing)
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p.normalise(key, t)); err != nil {
			return err
		}
		buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	case json.Number:
		buf.WriteString(t.String())
	case bool:
		fmt.Fprint(buf, t)
	case nil:
		buf.WriteString("null")
	}
	return nil
}

func post(t *testing.T, url, tok, query string, vars any) json.RawMessage {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return raw
}

func TestAPIGuide(t *testing.T) {
	const path = "api.md"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	blocks, err := fencedBlocks(lines)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tour, err := steps(blocks)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(tour) < 6 {
		t.Fatalf("%s documents %d operations; the tour has at least six", path, len(tour))
	}
	api := apitest.Start(t, apitest.Opts{})
	tokens := map[string]string{"ADMIN": apitest.Token(t, auth.RoleAdmin), "GUEST": apitest.Token(t, auth.RoleGuest)}
	p := newPlaceholders()

	rewrites := map[int][]string{} // response block start line -> new body lines
	drift := 0
	for _, s := range tour {
		var vars any
		if s.variables != nil {
			if err := json.Unmarshal([]byte(s.variables.body), &vars); err != nil {
				t.Fatalf("%s:%d: variables are not JSON: %v", path, s.variables.start+2, err)
			}
			vars = p.substitute(vars)
		}
		tokens["PARTNER"] = p.apiKey
		tok := ""
		if m := tokenLine.FindStringSubmatch(s.query.body); m != nil {
			tok = tokens[m[1]]
		}
		got, err := ordered(post(t, api.URL, tok, s.query.body, vars), p)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, s.query.start+1, err)
		}
		if got == strings.TrimSpace(s.response.body) {
			continue
		}
		drift++
		rewrites[s.response.start] = strings.Split(got, "\n")
		if !*update {
			t.Errorf("%s:%d: the documented response differs from the API's.\ndocumented:\n%s\n\nthe API answers:\n%s",
				path, s.response.start+2, s.response.body, got)
		}
	}
	if *update && drift > 0 {
		var out []string
		for i := 0; i < len(lines); i++ {
			out = append(out, lines[i])
			if body, ok := rewrites[i]; ok {
				out = append(out, body...)
				for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "```") {
					i++
				}
			}
		}
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %d responses in %s", drift, path)
	}
	if !*update && drift > 0 {
		t.Log("if the change is intended: go test ./docs/ -run TestAPIGuide -update")
	}
}
