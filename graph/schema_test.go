package graph_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// snapshotPath is the committed copy of the public contract that
// schema.graphqls is compared with. A breaking change (a type, field,
// argument or enum value removed, a type changed, a new required argument or
// input field) fails TestSchemaSnapshot until it is acknowledged by updating
// the snapshot in the same commit:
//
//	go test ./graph/ -run TestSchemaSnapshot -update
//
// Additive changes pass, and the test asks for the snapshot to be refreshed
// so the next comparison starts from them.
const snapshotPath = "schema.snapshot.graphqls"

var updateSnapshot = flag.Bool("update", false, "rewrite graph/schema.snapshot.graphqls from schema.graphqls")

func loadSchema(t *testing.T, path string) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(src)})
	if gerr != nil {
		t.Fatalf("%s: %v", path, gerr)
	}
	return s
}

// breakingChanges lists what a client written against old could no longer
// do against new.
func breakingChanges(old, new *ast.Schema) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	for name, ot := range old.Types {
		if ot.BuiltIn {
			continue
		}
		nt, ok := new.Types[name]
		if !ok {
			add("type %s removed", name)
			continue
		}
		if nt.Kind != ot.Kind {
			add("type %s changed from %s to %s", name, ot.Kind, nt.Kind)
			continue
		}
		for _, ov := range ot.EnumValues {
			if nt.EnumValues.ForName(ov.Name) == nil {
				add("enum value %s.%s removed", name, ov.Name)
			}
		}
		for _, ot := range ot.Types {
			if !contains(nt.Types, ot) {
				add("union %s no longer includes %s", name, ot)
			}
		}
		for _, oi := range ot.Interfaces {
			if !contains(nt.Interfaces, oi) {
				add("type %s no longer implements %s", name, oi)
			}
		}
		for _, of := range ot.Fields {
			nf := nt.Fields.ForName(of.Name)
			if nf == nil {
				add("field %s.%s removed", name, of.Name)
				continue
			}
			if ot.Kind == ast.InputObject {
				if !inputCompatible(of.Type, nf.Type) {
					add("input field %s.%s changed type from %s to %s", name, of.Name, of.Type, nf.Type)
				}
				continue
			}
			if !outputCompatible(of.Type, nf.Type) {
				add("field %s.%s changed type from %s to %s", name, of.Name, of.Type, nf.Type)
			}
			for _, oa := range of.Arguments {
				na := nf.Arguments.ForName(oa.Name)
				if na == nil {
					add("argument %s.%s(%s) removed", name, of.Name, oa.Name)
				} else if !inputCompatible(oa.Type, na.Type) {
					add("argument %s.%s(%s) changed type from %s to %s", name, of.Name, oa.Name, oa.Type, na.Type)
				}
			}
			for _, na := range nf.Arguments {
				if of.Arguments.ForName(na.Name) == nil && na.Type.NonNull && na.DefaultValue == nil {
					add("new required argument %s.%s(%s: %s)", name, of.Name, na.Name, na.Type)
				}
			}
		}
		if ot.Kind == ast.InputObject {
			for _, nf := range nt.Fields {
				if ot.Fields.ForName(nf.Name) == nil && nf.Type.NonNull && nf.DefaultValue == nil {
					add("new required input field %s.%s: %s", name, nf.Name, nf.Type)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// outputCompatible says whether a client reading a field of type old can read
// it as new: the same type, or one that now promises non-null.
func outputCompatible(old, new *ast.Type) bool {
	if old.NonNull && !new.NonNull {
		return false
	}
	if old.Elem != nil || new.Elem != nil {
		return old.Elem != nil && new.Elem != nil && outputCompatible(old.Elem, new.Elem)
	}
	return old.NamedType == new.NamedType
}

// inputCompatible says whether a value a client sends as old is still
// accepted as new: the same type, or one that no longer requires a value.
func inputCompatible(old, new *ast.Type) bool {
	if new.NonNull && !old.NonNull {
		return false
	}
	if old.Elem != nil || new.Elem != nil {
		return old.Elem != nil && new.Elem != nil && inputCompatible(old.Elem, new.Elem)
	}
	return old.NamedType == new.NamedType
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSchemaSnapshot(t *testing.T) {
	if *updateSnapshot {
		src, err := os.ReadFile("../schema.graphqls")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(snapshotPath, src, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("snapshot %s updated from schema.graphqls", snapshotPath)
		return
	}
	current, snapshot := loadSchema(t, "../schema.graphqls"), loadSchema(t, snapshotPath)
	if changes := breakingChanges(snapshot, current); len(changes) > 0 {
		t.Fatalf("schema.graphqls breaks clients written against the committed snapshot:\n  %s\n\n"+
			"If the break is intended (announced, clients migrated), acknowledge it by updating the snapshot in the same commit:\n"+
			"  go test ./graph/ -run TestSchemaSnapshot -update", strings.Join(changes, "\n  "))
	}
	// Additions break nobody; they are reported so that the snapshot is
	// refreshed with them and later removals of them are caught too.
	if added := breakingChanges(current, snapshot); len(added) > 0 {
		t.Logf("schema.graphqls adds to the snapshot (not breaking; refresh it with -update):\n  %s", strings.ReplaceAll(strings.Join(added, "\n  "), " removed", " added"))
	}
}

func TestBreakingChangesAreFound(t *testing.T) {
	old := gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { hotel(id: ID!): Hotel  hotels(first: Int): [Hotel!]! }
"A hotel."
type Hotel { id: ID!  name: String  stars: Int! }
enum Sort { NAME PRICE }
input SearchInput { text: String  sort: Sort }`})
	new := gqlparser.MustLoadSchema(&ast.Source{Input: `
type Query { hotel(id: ID!, lang: String!): Hotel  hotels(first: Int, after: String): [Hotel!]! }
"A hotel."
type Hotel { id: ID!  name: String!  stars: String!  phone: String }
enum Sort { NAME }
input SearchInput { text: String  sort: Sort  near: String! }`})
	got := strings.Join(breakingChanges(old, new), "\n")
	want := strings.Join([]string{
		"enum value Sort.PRICE removed",
		"field Hotel.stars changed type from Int! to String!",
		"new required argument Query.hotel(lang: String!)",
		"new required input field SearchInput.near: String!",
	}, "\n")
	if got != want {
		t.Fatalf("breaking changes:\n%s\nwant:\n%s", got, want)
	}
	if back := breakingChanges(new, old); !contains(back, "field Hotel.phone removed") || !contains(back, "argument Query.hotels(after) removed") {
		t.Fatalf("removals not found: %v", back)
	}
}

var (
	pascalCase = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	camelCase  = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// TestSchemaLint holds the public contract to the house conventions: types
// PascalCase, fields and arguments camelCase, enum values UPPER_SNAKE, inputs
// named …Input, and a description on every type (except the root operation
// types, connections, edges and payloads, whose shape says what they are).
func TestSchemaLint(t *testing.T) {
	s := loadSchema(t, "../schema.graphqls")
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	selfDescribing := regexp.MustCompile(`^(Query|Mutation|Subscription)$|(Connection|Edge|Payload|Result|Input)$`)
	for name, def := range s.Types {
		if def.BuiltIn || def.Position == nil || def.Position.Src.BuiltIn {
			continue
		}
		if !pascalCase.MatchString(name) {
			bad("type %s: names are PascalCase", name)
		}
		if def.Kind == ast.InputObject && !strings.HasSuffix(name, "Input") {
			bad("input %s: input names end in Input", name)
		}
		if def.Kind != ast.InputObject && strings.HasSuffix(name, "Input") {
			bad("%s %s: only inputs end in Input", strings.ToLower(string(def.Kind)), name)
		}
		if strings.TrimSpace(def.Description) == "" && !selfDescribing.MatchString(name) && !knownUndescribed[name] {
			bad("type %s has no description", name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if !camelCase.MatchString(f.Name) {
				bad("field %s.%s: names are camelCase", name, f.Name)
			}
			for _, a := range f.Arguments {
				if !camelCase.MatchString(a.Name) {
					bad("argument %s.%s(%s): names are camelCase", name, f.Name, a.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if !upperSnake.MatchString(v.Name) {
				bad("enum value %s.%s: values are UPPER_SNAKE_CASE", name, v.Name)
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Errorf("schema.graphqls breaks the naming and description rules:\n  %s", strings.Join(problems, "\n  "))
	}
}

// knownUndescribed are the types that predate the description rule. The list
// only shrinks: describe a type, then take it off.
var knownUndescribed = map[string]bool{
	"Address":            true,
	"Bed":                true,
	"BedType":            true,
	"BookedRoom":         true,
	"BookingStatus":      true,
	"CancellationPolicy": true,
	"Contact":            true,
	"DepositKind":        true,
	"DepositPolicy":      true,
	"FacetCount":         true,
	"GeoPoint":           true,
	"Guest":              true,
	"HotelSearchFacets":  true,
	"HotelSearchHit":     true,
	"HotelSort":          true,
	"Ledger":             true,
	"NightlyRate":        true,
	"Notification":       true,
	"NotificationStatus": true,
	"Payment":            true,
	"PaymentStatus":      true,
	"Quote":              true,
	"Refund":             true,
	"Role":               true,
}
