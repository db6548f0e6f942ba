package graph

import (
	"errors"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/catalog"
)

// ids decodes the global ids of a mutation's input, gathering every
// malformed one and remembering the fields they came from.
type ids struct {
	errs   apperr.List
	fields [][]string
}

func (d *ids) decode(kind relay.Kind, gid string, field ...string) uuid.UUID {
	d.fields = append(d.fields, field)
	id, err := relay.Decode(kind, gid, field...)
	if err != nil {
		d.errs = append(d.errs, err.(*apperr.Error))
	}
	return id
}

// userErrors is userErrors for a mutation on what the input's ids name:
// when it names one object, a NOT_FOUND that names no field is about that
// object's id.
func (d *ids) userErrors(err error) ([]apperr.Error, error) {
	ue, err := userErrors(err)
	if len(d.fields) == 1 {
		for i := range ue {
			if ue[i].Code == apperr.NotFound && len(ue[i].Field) == 0 {
				ue[i].Field = d.fields[0]
			}
		}
	}
	return ue, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func address(a *model.AddressInput) *catalog.Address {
	if a == nil {
		return nil
	}
	return &catalog.Address{Line1: a.Line1, Line2: deref(a.Line2), City: a.City,
		PostalCode: deref(a.PostalCode), CountryCode: a.CountryCode}
}

func addressPatch(a *model.AddressInput) *catalog.AddressPatch {
	if a == nil {
		return nil
	}
	return &catalog.AddressPatch{Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, CountryCode: a.CountryCode}
}

func hotelFields(in model.CreateHotelInput) catalog.HotelFields {
	return catalog.HotelFields{
		Name: in.Name, Description: deref(in.Description), TimeZone: in.TimeZone,
		Location: deref(in.Location), Address: deref(address(in.Address)), Currency: in.Currency,
		StarRating: in.StarRating, Amenities: in.Amenities,
		CheckInTime:        orDefault(in.CheckInTime, catalog.DefaultCheckIn),
		CheckOutTime:       orDefault(in.CheckOutTime, catalog.DefaultCheckOut),
		TaxRateBasisPoints: deref(in.TaxRateBasisPoints),
	}
}

func hotelPatch(in model.UpdateHotelInput) catalog.HotelPatch {
	return catalog.HotelPatch{
		Name: in.Name, Description: in.Description, TimeZone: in.TimeZone, Location: in.Location,
		Address: addressPatch(in.Address), Currency: in.Currency, StarRating: in.StarRating,
		Amenities: in.Amenities, CheckInTime: in.CheckInTime, CheckOutTime: in.CheckOutTime,
		TaxRateBasisPoints: in.TaxRateBasisPoints,
	}
}

func roomTypeFields(in model.CreateRoomTypeInput) catalog.RoomTypeFields {
	return catalog.RoomTypeFields{
		Name: in.Name, Description: deref(in.Description), MaxAdults: in.MaxAdults,
		MaxChildren: in.MaxChildren, MaxOccupancy: in.MaxOccupancy, Beds: in.Beds, Amenities: in.Amenities,
	}
}

func roomTypePatch(in model.UpdateRoomTypeInput) catalog.RoomTypePatch {
	return catalog.RoomTypePatch{
		Name: in.Name, Description: in.Description, MaxAdults: in.MaxAdults, MaxChildren: in.MaxChildren,
		MaxOccupancy: in.MaxOccupancy, Beds: in.Beds, Amenities: in.Amenities,
	}
}

func cancellationPolicy(in *model.CancellationPolicyInput) *catalog.CancellationPolicy {
	if in == nil {
		return nil
	}
	return &catalog.CancellationPolicy{Refundable: in.Refundable, Penalties: in.Penalties}
}

func depositPolicy(in *model.DepositPolicyInput) *catalog.DepositPolicy {
	if in == nil {
		return nil
	}
	return &catalog.DepositPolicy{Kind: in.Kind, Percent: deref(in.Percent)}
}

func connection[T any](items []T, limit int, cursor func(T) string) (edges []T, page *model.PageInfo) {
	page = &model.PageInfo{}
	if len(items) > limit {
		items = items[:limit]
		page.HasNextPage = true
	}
	if len(items) > 0 {
		start, end := cursor(items[0]), cursor(items[len(items)-1])
		page.StartCursor, page.EndCursor = &start, &end
	}
	return items, page
}

// pageSize applies the default and maximum page sizes to a first argument.
func pageSize(first *int) (int, error) {
	n := orDefault(first, DefaultPageSize)
	if n < 0 || n > MaxPageSize {
		return 0, apperr.Invalid("first must be between 0 and 100", "first")
	}
	return n, nil
}

// Page sizes of connections.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// okPtr returns &v when the mutation succeeded, nil when it has userErrors.
func okPtr[T any](v T, ue []apperr.Error) *T {
	if len(ue) > 0 {
		return nil
	}
	return &v
}

// nodeOf makes a loaded object a Node, and a missing one null.
func nodeOf[T any](v T, err error) (relay.Node, error) {
	if apperr.HasCode(err, apperr.NotFound) || errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}
