package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
)

func runToken(ctx context.Context, args []string) error {
	f := newFlags("token")
	role := f.String("role", "", "ADMIN, STAFF or GUEST (required)")
	hotels := f.String("hotel", "", "comma-separated hotel ids a STAFF token may manage (global ids or UUIDs)")
	subject := f.String("subject", "", "token subject: the customer id of a GUEST, the user id of staff")
	ttl := f.Duration("ttl", auth.DefaultTokenTTL, "how long the token is valid")
	secret := f.String("jwt-secret", "", "HS256 secret; defaults to the dev server's secret in --data-dir")
	dataDir := f.String("data-dir", ".staygraph", "data folder of 'staygraph dev', whose secret is used when --jwt-secret is unset")
	issuer := f.String("jwt-issuer", "", "iss claim")
	audience := f.String("jwt-audience", "", "aud claim")
	if err := f.parse(args); err != nil {
		return err
	}
	if *ttl <= 0 {
		return errors.New("--ttl must be positive: the token is valid that long")
	}
	key := []byte(*secret)
	if len(key) == 0 {
		var err error
		if key, err = os.ReadFile(devSecretPath(*dataDir)); err != nil {
			return errors.New("no secret: set --jwt-secret or STAYGRAPH_JWT_SECRET, or run 'staygraph dev' once so it creates its own")
		}
	}
	if len(key) < minJWTSecret {
		// serve refuses such a secret: a token signed with it is refused
		return fmt.Errorf("--jwt-secret must have at least %d bytes, as serve requires", minJWTSecret)
	}
	var hotelIDs []uuid.UUID
	for _, h := range strings.Split(*hotels, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		id, err := parseHotelID(h)
		if err != nil {
			return err
		}
		hotelIDs = append(hotelIDs, id)
	}
	token, err := auth.Mint(key, auth.MintOpts{
		Role: auth.Role(strings.ToUpper(*role)), Subject: *subject, HotelIDs: hotelIDs,
		TTL: *ttl, Issuer: *issuer, Audience: *audience,
	})
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

// parseHotelID accepts a hotel's global id or its raw UUID.
func parseHotelID(s string) (uuid.UUID, error) {
	if id, err := uuid.Parse(s); err == nil {
		return id, nil
	}
	if id, err := relay.Decode(relay.KindHotel, s); err == nil {
		return id, nil
	}
	return uuid.Nil, fmt.Errorf("%q is neither a hotel id nor a UUID", s)
}
