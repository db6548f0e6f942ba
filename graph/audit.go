package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/money"
)

// auditEntity is how the API names each audited entity, and the kind of its
// global ids (none for objects the API gives no global id).
var auditEntity = map[audit.Entity]struct {
	name model.AuditEntity
	kind relay.Kind
}{
	audit.Hotel:            {model.AuditEntityHotel, relay.KindHotel},
	audit.RoomType:         {model.AuditEntityRoomType, relay.KindRoomType},
	audit.Room:             {model.AuditEntityRoom, relay.KindRoom},
	audit.RatePlan:         {model.AuditEntityRatePlan, relay.KindRatePlan},
	audit.MaintenanceBlock: {model.AuditEntityMaintenanceBlock, relay.KindMaintenanceBlock},
	audit.Booking:          {model.AuditEntityBooking, relay.KindBooking},
	audit.Payment:          {model.AuditEntityPayment, ""},
	audit.Refund:           {model.AuditEntityRefund, relay.KindRefund},
	audit.RefundPart:       {model.AuditEntityRefundPart, ""},
	audit.APIKey:           {model.AuditEntityAPIKey, relay.KindAPIKey},
	audit.ExchangeRate:     {model.AuditEntityExchangeRate, ""},
}

// auditFilter turns the arguments of auditLog into a filter: entityId is a
// global id, or the uuid of an object of entity (an exchange rate's
// currency code).
func auditFilter(entity *model.AuditEntity, entityID *string) (audit.Filter, error) {
	var f audit.Filter
	if entity != nil {
		for e, api := range auditEntity {
			if api.name == *entity {
				f.Entity = e
			}
		}
	}
	if entityID == nil {
		return f, nil
	}
	if kind, id, err := relay.Parse(*entityID); err == nil {
		for e, api := range auditEntity {
			if api.kind == kind && api.kind != "" && (f.Entity == "" || f.Entity == e) {
				return audit.Filter{Entity: e, EntityID: id.String()}, nil
			}
		}
		return f, apperr.Invalid("entityId is not the id of an object of entity", "entityId")
	}
	if f.Entity == audit.ExchangeRate {
		code, ok := money.Normalize(*entityID)
		if !ok {
			return f, apperr.Invalid("entityId of an exchange rate is an ISO 4217 currency code", "entityId")
		}
		f.EntityID = code
		return f, nil
	}
	id, err := uuid.Parse(*entityID)
	if err != nil || f.Entity == "" {
		return f, apperr.Invalid("entityId must be a global id, or the uuid of an object of entity", "entityId")
	}
	f.EntityID = id.String()
	return f, nil
}

// auditEntityID is the global id of the entry's object, or its uuid when the
// API gives it no global id.
func auditEntityID(e audit.Entry) string {
	kind := auditEntity[e.Entity].kind
	id, err := uuid.Parse(e.EntityID)
	if kind == "" || err != nil {
		return e.EntityID
	}
	return relay.ID(kind, id)
}

// Audit log cursors are entry ids: pages run to older entries.
const auditCursorPrefix = "a:"

func auditCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(auditCursorPrefix + strconv.FormatInt(id, 10)))
}

// parseAuditCursor decodes a cursor of auditCursor; "" is 0, the newest.
func parseAuditCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), auditCursorPrefix); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	return 0, apperr.Invalid("malformed cursor", "after")
}

// jsonText is a recorded value as a JSON string; nil when absent.
func jsonText(v []byte) *string {
	if v == nil {
		return nil
	}
	s := string(v)
	return &s
}
