package graph_test

import (
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
)

const auditLogQuery = `query($first: Int, $after: String, $entity: AuditEntity, $entityId: ID) {
  auditLog(first: $first, after: $after, entity: $entity, entityId: $entityId) {
    edges { cursor node { id at actor action entity entityId changes { field old new } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`

type auditPage struct {
	AuditLog struct {
		Edges []struct {
			Cursor string
			Node   struct {
				ID, At, Actor, Action, Entity, EntityID string
				Changes                                 []struct {
					Field    string
					Old, New *string
				}
			}
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
	}
}

func TestAuditLogOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	gid := b.newHotel(t, "Audited")
	b.newHotel(t, "Other")
	staff := token(t, auth.RoleStaff, hotelUUID(t, b, "Audited"))
	decode[struct{}](t, b.do(t, staff, `mutation($id: ID!) { updateHotel(input: {id: $id, expectedVersion: 1, name: "Audited Again"}) { hotel { id } } }`,
		map[string]any{"id": gid}))

	// One hotel's trail, newest first: renamed by its staff, created by an admin.
	out := decode[auditPage](t, b.do(t, admin, auditLogQuery, map[string]any{"entityId": gid}))
	edges := out.AuditLog.Edges
	if len(edges) != 2 || out.AuditLog.PageInfo.HasNextPage || out.AuditLog.PageInfo.HasPreviousPage {
		t.Fatalf("hotel trail %+v", out)
	}
	renamed, created := edges[0].Node, edges[1].Node
	if renamed.Action != "UPDATE" || renamed.Entity != "HOTEL" || renamed.EntityID != gid || renamed.Actor != "STAFF:user-STAFF" || renamed.At == "" {
		t.Fatalf("update entry %+v", renamed)
	}
	if len(renamed.Changes) != 2 || renamed.Changes[0].Field != "name" || *renamed.Changes[0].Old != `"Audited"` || *renamed.Changes[0].New != `"Audited Again"` ||
		renamed.Changes[1].Field != "version" {
		t.Fatalf("update changes %+v", renamed.Changes)
	}
	if created.Action != "INSERT" || created.Actor != "ADMIN:user-ADMIN" || len(created.Changes) < 10 || created.Changes[0].Old != nil {
		t.Fatalf("insert entry %+v", created)
	}
	// A uuid with its entity finds the same entries.
	byUUID := decode[auditPage](t, b.do(t, admin, auditLogQuery, map[string]any{"entity": "HOTEL", "entityId": hotelUUID(t, b, "Audited Again").String()}))
	if len(byUUID.AuditLog.Edges) != 2 || byUUID.AuditLog.Edges[0].Node.ID != renamed.ID {
		t.Fatalf("by uuid %+v", byUUID)
	}
	// The entity id is the object's global id.
	node := decode[struct{ Node struct{ Name string } }](t, b.do(t, "", `query($id: ID!) { node(id: $id) { ... on Hotel { name } } }`, map[string]any{"id": renamed.EntityID}))
	if node.Node.Name != "Audited Again" {
		t.Fatalf("node(entityId) = %+v", node)
	}

	// Pages of one, newest first, through every hotel entry.
	var actions []string
	vars := map[string]any{"first": 1, "entity": "HOTEL"}
	for pages := 0; ; pages++ {
		page := decode[auditPage](t, b.do(t, admin, auditLogQuery, vars))
		if pages > 0 != page.AuditLog.PageInfo.HasPreviousPage || len(page.AuditLog.Edges) != 1 {
			t.Fatalf("page %d: %+v", pages, page)
		}
		e := page.AuditLog.Edges[0]
		actions = append(actions, e.Node.Action+":"+e.Node.EntityID[:4])
		if !page.AuditLog.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *page.AuditLog.PageInfo.EndCursor
	}
	if len(actions) != 3 || !strings.HasPrefix(actions[0], "UPDATE") || !strings.HasPrefix(actions[2], "INSERT") {
		t.Fatalf("hotel entries page by page: %v", actions)
	}

	// Only administrators read the trail.
	if res := b.do(t, "", auditLogQuery, nil); res.code() != "UNAUTHENTICATED" || string(res.Data) != "null" {
		t.Fatalf("anonymous: %s %+v", res.Data, res.Errors)
	}
	for _, tok := range []string{staff, token(t, auth.RoleGuest)} {
		if res := b.do(t, tok, auditLogQuery, nil); res.code() != "FORBIDDEN" || string(res.Data) != "null" {
			t.Fatalf("non-admin: %s %+v", res.Data, res.Errors)
		}
	}

	// Bad filters and cursors are input errors.
	for _, vars := range []map[string]any{
		{"entityId": "not-an-id"},
		{"entityId": "0b5e4a44-5d1c-4e0c-8d55-2d7f4f3b1c11"}, // a uuid needs its entity
		{"entityId": gid, "entity": "BOOKING"},
		{"after": "garbage"},
		{"first": 1000},
	} {
		if res := b.do(t, admin, auditLogQuery, vars); res.code() != "INVALID_INPUT" {
			t.Errorf("%v: %+v", vars, res.Errors)
		}
	}
}

// Every kind of audited object reads back through the API: an entry of a
// table the API could not name would make the whole page INTERNAL.
func TestAuditLogNamesEveryAuditedEntity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, e := range audit.Entities {
		if _, err := b.pool.Exec(t.Context(), `INSERT INTO audit_log (actor, action, entity, entity_id)
			VALUES ('test', 'INSERT', $1, gen_random_uuid()::text)`, string(e)); err != nil {
			t.Fatal(err)
		}
	}
	out := decode[auditPage](t, b.do(t, token(t, auth.RoleAdmin), auditLogQuery, map[string]any{"first": 100}))
	seen := map[string]bool{}
	for _, e := range out.AuditLog.Edges {
		seen[e.Node.Entity] = true
	}
	if len(seen) != len(audit.Entities) {
		t.Fatalf("the API named %d kinds of entries, want %d: %v", len(seen), len(audit.Entities), seen)
	}
}
