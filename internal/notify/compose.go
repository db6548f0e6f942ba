package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

// DefaultLanguage is used for contacts whose language has no templates.
const DefaultLanguage = "en"

// templateFS holds templates/<lang>/<kind>.txt and .html, kind in lower case,
// and templates/layout.html, the HTML frame around every body.
//
// A .txt file defines "subject" (one line), "short" (an SMS) and "text" (the
// plain-text body); an .html file defines "body", placed in the layout. Both
// are executed with the booking's Contact (.Reference, .HotelName,
// .GuestName, .CheckIn, .CheckOut, ...) and .Lang; {{date .CheckIn}} formats
// a stay date.
//
//go:embed templates
var templateFS embed.FS

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

type templateData struct {
	Contact
	// Lang is the language being rendered.
	Lang string
}

var (
	parseOnce sync.Once
	parsed    map[string]map[Kind]templateSet
	parseErr  error
)

var templateFuncs = map[string]any{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	},
}

func templates() (map[string]map[Kind]templateSet, error) {
	parseOnce.Do(func() { parsed, parseErr = parseTemplates(templateFS) })
	return parsed, parseErr
}

func parseTemplates(fsys fs.FS) (map[string]map[Kind]templateSet, error) {
	dirs, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	layout, err := fs.ReadFile(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	out := map[string]map[Kind]templateSet{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		lang := d.Name()
		out[lang] = map[Kind]templateSet{}
		for _, kind := range Kinds() {
			base := path.Join("templates", lang, strings.ToLower(string(kind)))
			txt, err := fs.ReadFile(fsys, base+".txt")
			if err != nil {
				return nil, fmt.Errorf("templates of %s: %w", lang, err)
			}
			body, err := fs.ReadFile(fsys, base+".html")
			if err != nil {
				return nil, fmt.Errorf("templates of %s: %w", lang, err)
			}
			t, err := texttemplate.New(base + ".txt").Funcs(templateFuncs).Option("missingkey=error").Parse(string(txt))
			if err != nil {
				return nil, fmt.Errorf("parse %s.txt: %w", base, err)
			}
			for _, name := range []string{"subject", "short", "text"} {
				if t.Lookup(name) == nil {
					return nil, fmt.Errorf("%s.txt defines no %q", base, name)
				}
			}
			h, err := htmltemplate.New("layout").Funcs(templateFuncs).Option("missingkey=error").Parse(string(layout))
			if err == nil {
				h, err = h.Parse(string(body))
			}
			if err != nil {
				return nil, fmt.Errorf("parse %s.html: %w", base, err)
			}
			if h.Lookup("body") == nil {
				return nil, fmt.Errorf("%s.html defines no \"body\"", base)
			}
			out[lang][kind] = templateSet{text: t, html: h}
		}
	}
	if _, ok := out[DefaultLanguage]; !ok {
		return nil, fmt.Errorf("no templates for the default language %q", DefaultLanguage)
	}
	return out, nil
}

// Languages lists the languages messages can be written in, sorted.
func Languages() []string {
	sets, err := templates()
	if err != nil {
		return nil
	}
	langs := make([]string, 0, len(sets))
	for l := range sets {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return langs
}

// resolveLanguage picks the templates for a language tag: the tag itself
// ("pt-br"), its base language ("fr" for "fr-CA"), else DefaultLanguage.
func resolveLanguage(sets map[string]map[Kind]templateSet, tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	if _, ok := sets[tag]; ok {
		return tag
	}
	if base, _, _ := strings.Cut(tag, "-"); base != "" {
		if _, ok := sets[base]; ok {
			return base
		}
	}
	return DefaultLanguage
}

// Compose renders the message announcing kind to contact, in the contact's
// language (English when there are no templates for it). It fills Kind,
// Reference, Language, Subject, Short, Text and HTML.
func Compose(kind Kind, contact Contact) (Message, error) {
	if !kind.Valid() {
		return Message{}, fmt.Errorf("compose: unknown kind %q", kind)
	}
	sets, err := templates()
	if err != nil {
		return Message{}, err
	}
	lang := resolveLanguage(sets, contact.Language)
	set := sets[lang][kind]
	data := templateData{Contact: contact, Lang: lang}
	var parts [3]bytes.Buffer
	for i, name := range []string{"subject", "short", "text"} {
		if err := set.text.ExecuteTemplate(&parts[i], name, data); err != nil {
			return Message{}, fmt.Errorf("compose %s in %s: %w", kind, lang, err)
		}
	}
	var html bytes.Buffer
	if err := set.html.ExecuteTemplate(&html, "layout", data); err != nil {
		return Message{}, fmt.Errorf("compose %s in %s: %w", kind, lang, err)
	}
	return Message{
		Kind:      kind,
		Reference: contact.Reference,
		Language:  lang,
		Subject:   oneLine(parts[0].String()),
		Short:     strings.TrimSpace(parts[1].String()),
		Text:      strings.TrimSpace(parts[2].String()) + "\n",
		HTML:      html.String(),
	}, nil
}

// oneLine folds whitespace, newlines included, into single spaces: a subject
// is one header line whatever the booking's data holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
