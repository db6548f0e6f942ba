package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUID makes conn encode github.com/google/uuid.UUID parameters as
// the 16 bytes they are. Without it pgx knows the type only as a
// driver.Valuer: every id went out as its 36-character text, failed to
// encode in binary (building an error), was parsed back and encoded again —
// about a tenth of the API's CPU on a hold. Scanning needs no help: uuid.UUID
// scans from the binary form directly.
func registerUUID(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUIDEncodePlan}, m.TryWrapEncodePlanFuncs...)
	return nil
}

// uuidValue is a uuid.UUID that pgtype.UUIDCodec encodes natively.
type uuidValue uuid.UUID

func (u uuidValue) UUIDValue() (pgtype.UUID, error) { return pgtype.UUID{Bytes: u, Valid: true}, nil }

type wrapUUIDEncodePlan struct{ next pgtype.EncodePlan }

func (p *wrapUUIDEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *wrapUUIDEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(uuidValue(value.(uuid.UUID)), buf)
}

func tryWrapUUIDEncodePlan(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if u, ok := value.(uuid.UUID); ok {
		return &wrapUUIDEncodePlan{}, uuidValue(u), true
	}
	return nil, nil, false
}
