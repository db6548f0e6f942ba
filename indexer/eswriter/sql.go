package eswriter

import _ "embed"

//go:embed sql/hotel_ids.sql
var hotelIDsSQL string
