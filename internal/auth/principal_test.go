package auth_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

func TestStaffManagesOnlyTheirHotels(t *testing.T) {
	t.Parallel()
	hotelA, hotelB := uuid.New(), uuid.New()
	staff := &auth.Principal{Role: auth.RoleStaff, Subject: "ana", HotelIDs: []uuid.UUID{hotelA}}
	if !staff.CanManageHotel(hotelA) {
		t.Error("staff of hotel A cannot manage hotel A")
	}
	if staff.CanManageHotel(hotelB) {
		t.Error("staff of hotel A can manage hotel B")
	}
	ctx := auth.WithPrincipal(context.Background(), staff)
	if err := auth.RequireHotel(ctx, hotelA); err != nil {
		t.Errorf("RequireHotel(A) = %v, want nil", err)
	}
	if err := auth.RequireHotel(ctx, hotelB); !apperr.HasCode(err, apperr.Forbidden) {
		t.Errorf("RequireHotel(B) = %v, want FORBIDDEN", err)
	}
	if err := auth.RequireAdmin(ctx); !apperr.HasCode(err, apperr.Forbidden) {
		t.Errorf("RequireAdmin(staff) = %v, want FORBIDDEN", err)
	}
}

func TestRolesAndScopes(t *testing.T) {
	t.Parallel()
	hotel := uuid.New()
	admin := &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"}
	partner := &auth.Principal{Role: auth.RolePartner, Subject: "apikey:x", Scopes: []string{auth.ScopeSearch}}
	guest := &auth.Principal{Role: auth.RoleGuest, Subject: "guest-1"}
	var anon *auth.Principal

	tests := []struct {
		name      string
		p         *auth.Principal
		admin     bool
		hotel     bool
		search    bool
		book      bool
		scopeCode apperr.Code // from RequireScope(book); "" = allowed
	}{
		{"admin", admin, true, true, true, true, ""},
		{"partner", partner, false, false, true, false, apperr.Forbidden},
		{"guest", guest, false, false, false, false, apperr.Forbidden},
		{"anonymous", anon, false, false, false, false, apperr.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.IsAdmin(); got != tt.admin {
				t.Errorf("IsAdmin = %v, want %v", got, tt.admin)
			}
			if got := tt.p.CanManageHotel(hotel); got != tt.hotel {
				t.Errorf("CanManageHotel = %v, want %v", got, tt.hotel)
			}
			if got := tt.p.HasScope(auth.ScopeSearch); got != tt.search {
				t.Errorf("HasScope(search) = %v, want %v", got, tt.search)
			}
			if got := tt.p.HasScope(auth.ScopeBook); got != tt.book {
				t.Errorf("HasScope(book) = %v, want %v", got, tt.book)
			}
			ctx := auth.WithPrincipal(context.Background(), tt.p)
			err := auth.RequireScope(ctx, auth.ScopeBook)
			if tt.scopeCode == "" && err != nil {
				t.Errorf("RequireScope(book) = %v, want nil", err)
			}
			if tt.scopeCode != "" && !apperr.HasCode(err, tt.scopeCode) {
				t.Errorf("RequireScope(book) = %v, want %s", err, tt.scopeCode)
			}
		})
	}
}

func TestAnonymousIsUnauthenticated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if p := auth.FromContext(ctx); p != nil {
		t.Fatalf("FromContext(empty) = %+v, want nil", p)
	}
	if _, err := auth.Require(ctx); !apperr.HasCode(err, apperr.Unauthenticated) {
		t.Errorf("Require = %v, want UNAUTHENTICATED", err)
	}
	if err := auth.RequireAdmin(ctx); !apperr.HasCode(err, apperr.Unauthenticated) {
		t.Errorf("RequireAdmin = %v, want UNAUTHENTICATED", err)
	}
	if err := auth.RequireHotel(ctx, uuid.New()); !apperr.HasCode(err, apperr.Unauthenticated) {
		t.Errorf("RequireHotel = %v, want UNAUTHENTICATED", err)
	}
}
