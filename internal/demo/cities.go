package demo

// City is a place demo hotels are built in.
type City struct {
	// Name is the city's usual English name.
	Name string
	// CountryCode is the ISO 3166-1 alpha-2 code of its country.
	CountryCode string
	// TimeZone is the IANA zone of the city.
	TimeZone string
	// Currency is the ISO 4217 code hotels there price in.
	Currency string
	// Lat and Lon are the WGS 84 coordinates of the city centre.
	Lat, Lon float64
	// Price is a plausible nightly price of a mid-range double room, in minor
	// units of Currency (JPY, KRW, CLP, ISK, XOF, XPF, RWF, VND have none;
	// JOD, OMR, TND have three digits).
	Price int64
	// TaxBasisPoints is a typical tax on a hotel night, 0 to 2000.
	TaxBasisPoints int
	// Street is a well-known street hotels' addresses use.
	Street string
	// Beach says whether the city is on a beach, which adds "beach" to some
	// hotels' amenities.
	Beach bool
}

// Cities are the places demo hotel i is built in: Cities[i % len(Cities)].
// The order spreads neighbouring entries across the globe, so even a small
// load spans many time zones (both sides of the date line, zones with and
// without daylight saving time, half- and quarter-hour offsets).
var Cities = []City{
	{"Paris", "FR", "Europe/Paris", "EUR", 48.8566, 2.3522, 18000, 1000, "Rue de Rivoli", false},
	{"Tokyo", "JP", "Asia/Tokyo", "JPY", 35.6762, 139.6503, 22000, 1000, "Chuo-dori", false},
	{"New York", "US", "America/New_York", "USD", 40.7128, -74.0060, 25000, 1475, "Lexington Avenue", false},
	{"Sydney", "AU", "Australia/Sydney", "AUD", -33.8688, 151.2093, 28000, 1000, "George Street", true},
	{"Kiritimati", "KI", "Pacific/Kiritimati", "AUD", 1.8721, -157.4278, 20000, 1250, "Main Road", true},
	{"Pago Pago", "AS", "Pacific/Pago_Pago", "USD", -14.2756, -170.7020, 18000, 0, "Route 1", true},
	{"Auckland", "NZ", "Pacific/Auckland", "NZD", -36.8485, 174.7633, 25000, 1500, "Queen Street", false},
	{"Los Angeles", "US", "America/Los_Angeles", "USD", 34.0522, -118.2437, 22000, 1400, "Wilshire Boulevard", true},
	{"London", "GB", "Europe/London", "GBP", 51.5074, -0.1278, 17000, 2000, "The Strand", false},
	{"Mumbai", "IN", "Asia/Kolkata", "INR", 19.0760, 72.8777, 900000, 1200, "Marine Drive", true},
	{"Kathmandu", "NP", "Asia/Kathmandu", "NPR", 27.7172, 85.3240, 800000, 1300, "Durbar Marg", false},
	{"São Paulo", "BR", "America/Sao_Paulo", "BRL", -23.5505, -46.6333, 60000, 500, "Avenida Paulista", false},
	{"Nairobi", "KE", "Africa/Nairobi", "KES", -1.2921, 36.8219, 1500000, 1600, "Kenyatta Avenue", false},
	{"Bangkok", "TH", "Asia/Bangkok", "THB", 13.7563, 100.5018, 250000, 700, "Sukhumvit Road", false},
	{"Berlin", "DE", "Europe/Berlin", "EUR", 52.5200, 13.4050, 12000, 700, "Friedrichstraße", false},
	{"Honolulu", "US", "Pacific/Honolulu", "USD", 21.3069, -157.8583, 32000, 1800, "Kalākaua Avenue", true},
	{"Adelaide", "AU", "Australia/Adelaide", "AUD", -34.9285, 138.6007, 19000, 1000, "King William Street", false},
	{"St. John's", "CA", "America/St_Johns", "CAD", 47.5615, -52.7126, 18000, 1500, "Water Street", false},
	{"Apia", "WS", "Pacific/Apia", "WST", -13.8507, -171.7514, 40000, 1500, "Beach Road", true},
	{"Dubai", "AE", "Asia/Dubai", "AED", 25.2048, 55.2708, 60000, 1000, "Sheikh Zayed Road", true},
	{"Mexico City", "MX", "America/Mexico_City", "MXN", 19.4326, -99.1332, 250000, 1900, "Paseo de la Reforma", false},
	{"Singapore", "SG", "Asia/Singapore", "SGD", 1.3521, 103.8198, 28000, 900, "Orchard Road", false},
	{"Cape Town", "ZA", "Africa/Johannesburg", "ZAR", -33.9249, 18.4241, 250000, 1500, "Long Street", true},
	{"Chatham Islands", "NZ", "Pacific/Chatham", "NZD", -43.9535, -176.5597, 25000, 1500, "Waitangi Wharf Road", true},
	{"Chicago", "US", "America/Chicago", "USD", 41.8781, -87.6298, 20000, 1800, "Michigan Avenue", false},
	{"Reykjavik", "IS", "Atlantic/Reykjavik", "ISK", 64.1466, -21.9426, 25000, 1100, "Laugavegur", false},
	{"Seoul", "KR", "Asia/Seoul", "KRW", 37.5665, 126.9780, 160000, 1000, "Sejong-daero", false},
	{"Buenos Aires", "AR", "America/Argentina/Buenos_Aires", "ARS", -34.6037, -58.3816, 12000000, 2000, "Avenida Corrientes", false},
	{"Colombo", "LK", "Asia/Colombo", "LKR", 6.9271, 79.8612, 2500000, 1800, "Galle Road", true},
	{"Rome", "IT", "Europe/Rome", "EUR", 41.9028, 12.4964, 15000, 1000, "Via del Corso", false},
	{"Nuku'alofa", "TO", "Pacific/Tongatapu", "TOP", -21.1394, -175.2049, 35000, 1500, "Taufa'ahau Road", true},
	{"Denver", "US", "America/Denver", "USD", 39.7392, -104.9903, 18000, 1500, "Larimer Street", false},
	{"Cairo", "EG", "Africa/Cairo", "EGP", 30.0444, 31.2357, 400000, 1400, "Corniche El Nil", false},
	{"Hong Kong", "HK", "Asia/Hong_Kong", "HKD", 22.3193, 114.1694, 120000, 0, "Nathan Road", false},
	{"Perth", "AU", "Australia/Perth", "AUD", -31.9505, 115.8605, 22000, 1000, "Hay Street", true},
	{"Vancouver", "CA", "America/Vancouver", "CAD", 49.2827, -123.1207, 26000, 1600, "Robson Street", false},
	{"Lisbon", "PT", "Europe/Lisbon", "EUR", 38.7223, -9.1393, 12000, 600, "Avenida da Liberdade", false},
	{"Suva", "FJ", "Pacific/Fiji", "FJD", -18.1248, 178.4501, 35000, 1500, "Victoria Parade", true},
	{"Lima", "PE", "America/Lima", "PEN", -12.0464, -77.0428, 45000, 1800, "Avenida Larco", false},
	{"Karachi", "PK", "Asia/Karachi", "PKR", 24.8607, 67.0011, 2500000, 1600, "Shahrah-e-Faisal", true},
	{"Anchorage", "US", "America/Anchorage", "USD", 61.2181, -149.9003, 20000, 1200, "Fourth Avenue", false},
	{"Istanbul", "TR", "Europe/Istanbul", "TRY", 41.0082, 28.9784, 400000, 1000, "İstiklal Caddesi", false},
	{"Papeete", "PF", "Pacific/Tahiti", "XPF", -17.5516, -149.5585, 30000, 1000, "Boulevard Pomare", true},
	{"Shanghai", "CN", "Asia/Shanghai", "CNY", 31.2304, 121.4737, 80000, 600, "Nanjing Road", false},
	{"Rio de Janeiro", "BR", "America/Sao_Paulo", "BRL", -22.9068, -43.1729, 70000, 500, "Avenida Atlântica", true},
	{"Marrakech", "MA", "Africa/Casablanca", "MAD", 31.6295, -7.9811, 120000, 1000, "Avenue Mohammed V", false},
	{"Melbourne", "AU", "Australia/Melbourne", "AUD", -37.8136, 144.9631, 24000, 1000, "Collins Street", false},
	{"Miami", "US", "America/New_York", "USD", 25.7617, -80.1918, 23000, 1300, "Collins Avenue", true},
	{"Amsterdam", "NL", "Europe/Amsterdam", "EUR", 52.3676, 4.9041, 19000, 900, "Damrak", false},
	{"Delhi", "IN", "Asia/Kolkata", "INR", 28.6139, 77.2090, 700000, 1200, "Janpath", false},
	{"Santiago", "CL", "America/Santiago", "CLP", -33.4489, -70.6693, 110000, 1900, "Avenida Providencia", false},
	{"Queenstown", "NZ", "Pacific/Auckland", "NZD", -45.0312, 168.6626, 30000, 1500, "Shotover Street", false},
	{"Phoenix", "US", "America/Phoenix", "USD", 33.4484, -112.0740, 16000, 1200, "Central Avenue", false},
	{"Kigali", "RW", "Africa/Kigali", "RWF", -1.9441, 30.0619, 120000, 1800, "KN 3 Road", false},
	{"Taipei", "TW", "Asia/Taipei", "TWD", 25.0330, 121.5654, 400000, 500, "Zhongxiao East Road", false},
	{"Toronto", "CA", "America/Toronto", "CAD", 43.6532, -79.3832, 24000, 1300, "King Street West", false},
	{"Athens", "GR", "Europe/Athens", "EUR", 37.9838, 23.7275, 11000, 1300, "Ermou Street", false},
	{"Brisbane", "AU", "Australia/Brisbane", "AUD", -27.4698, 153.0251, 22000, 1000, "Queen Street", false},
	{"Bogotá", "CO", "America/Bogota", "COP", 4.7110, -74.0721, 40000000, 1900, "Carrera Séptima", false},
	{"Amman", "JO", "Asia/Amman", "JOD", 31.9454, 35.9284, 90000, 1600, "Rainbow Street", false},
	{"Kyoto", "JP", "Asia/Tokyo", "JPY", 35.0116, 135.7681, 20000, 1000, "Shijo-dori", false},
	{"Madrid", "ES", "Europe/Madrid", "EUR", 40.4168, -3.7038, 12000, 1000, "Gran Vía", false},
	{"San Francisco", "US", "America/Los_Angeles", "USD", 37.7749, -122.4194, 24000, 1400, "Market Street", false},
	{"Ulaanbaatar", "MN", "Asia/Ulaanbaatar", "MNT", 47.8864, 106.9057, 25000000, 1000, "Peace Avenue", false},
	{"Lagos", "NG", "Africa/Lagos", "NGN", 6.5244, 3.3792, 15000000, 750, "Adeola Odeku Street", true},
	{"Dublin", "IE", "Europe/Dublin", "EUR", 53.3498, -6.2603, 18000, 900, "O'Connell Street", false},
	{"Bali", "ID", "Asia/Makassar", "IDR", -8.6705, 115.2126, 150000000, 1000, "Jalan Legian", true},
	{"Cancún", "MX", "America/Cancun", "MXN", 21.1619, -86.8515, 350000, 1900, "Boulevard Kukulcán", true},
	{"Zurich", "CH", "Europe/Zurich", "CHF", 47.3769, 8.5417, 25000, 380, "Bahnhofstrasse", false},
	{"Kuala Lumpur", "MY", "Asia/Kuala_Lumpur", "MYR", 3.1390, 101.6869, 40000, 800, "Jalan Bukit Bintang", false},
	{"Montevideo", "UY", "America/Montevideo", "UYU", -34.9011, -56.1645, 600000, 1000, "Avenida 18 de Julio", true},
	{"Muscat", "OM", "Asia/Muscat", "OMR", 23.5880, 58.3829, 55000, 1000, "Al Bahri Road", true},
	{"Prague", "CZ", "Europe/Prague", "CZK", 50.0755, 14.4378, 280000, 1200, "Wenceslas Square", false},
	{"Ho Chi Minh City", "VN", "Asia/Ho_Chi_Minh", "VND", 10.8231, 106.6297, 2000000, 1000, "Đồng Khởi", false},
	{"Panama City", "PA", "America/Panama", "USD", 8.9824, -79.5199, 15000, 1000, "Avenida Balboa", false},
	{"Johannesburg", "ZA", "Africa/Johannesburg", "ZAR", -26.2041, 28.0473, 180000, 1500, "Jan Smuts Avenue", false},
	{"Almaty", "KZ", "Asia/Almaty", "KZT", 43.2220, 76.8512, 4000000, 1200, "Dostyk Avenue", false},
	{"Stockholm", "SE", "Europe/Stockholm", "SEK", 59.3293, 18.0686, 150000, 1200, "Drottninggatan", false},
	{"Havana", "CU", "America/Havana", "CUP", 23.1136, -82.3666, 1500000, 1000, "Paseo del Prado", true},
	{"Manila", "PH", "Asia/Manila", "PHP", 14.5995, 120.9842, 400000, 1200, "Roxas Boulevard", false},
	{"Addis Ababa", "ET", "Africa/Addis_Ababa", "ETB", 9.0300, 38.7400, 1300000, 1500, "Bole Road", false},
	{"Budapest", "HU", "Europe/Budapest", "HUF", 47.4979, 19.0402, 4000000, 1800, "Andrássy út", false},
	{"Nuuk", "GL", "America/Nuuk", "DKK", 64.1814, -51.6941, 150000, 0, "Aqqusinersuaq", false},
	{"Dhaka", "BD", "Asia/Dhaka", "BDT", 23.8103, 90.4125, 900000, 1500, "Gulshan Avenue", false},
	{"Cusco", "PE", "America/Lima", "PEN", -13.5320, -71.9675, 35000, 1800, "Avenida El Sol", false},
	{"Copenhagen", "DK", "Europe/Copenhagen", "DKK", 55.6761, 12.5683, 140000, 2000, "Strøget", false},
	{"Tbilisi", "GE", "Asia/Tbilisi", "GEL", 41.7151, 44.8271, 25000, 1800, "Rustaveli Avenue", false},
	{"Port Louis", "MU", "Indian/Mauritius", "MUR", -20.1609, 57.5012, 600000, 1500, "Royal Street", true},
	{"Osaka", "JP", "Asia/Tokyo", "JPY", 34.6937, 135.5023, 16000, 1000, "Midosuji", false},
	{"Barcelona", "ES", "Europe/Madrid", "EUR", 41.3874, 2.1686, 15000, 1000, "Passeig de Gràcia", true},
	{"Kingston", "JM", "America/Jamaica", "JMD", 17.9712, -76.7936, 2500000, 1500, "Knutsford Boulevard", false},
	{"Tel Aviv", "IL", "Asia/Jerusalem", "ILS", 32.0853, 34.7818, 90000, 1700, "Rothschild Boulevard", true},
	{"Montreal", "CA", "America/Toronto", "CAD", 45.5019, -73.5674, 21000, 1500, "Rue Sainte-Catherine", false},
	{"Tashkent", "UZ", "Asia/Tashkent", "UZS", 41.2995, 69.2401, 100000000, 1200, "Amir Temur Avenue", false},
	{"Dakar", "SN", "Africa/Dakar", "XOF", 14.7167, -17.4677, 60000, 1000, "Avenue Léopold Sédar Senghor", true},
	{"Vienna", "AT", "Europe/Vienna", "EUR", 48.2082, 16.3738, 13000, 1000, "Kärntner Straße", false},
	{"Quito", "EC", "America/Guayaquil", "USD", -0.1807, -78.4678, 10000, 1500, "Avenida Amazonas", false},
	{"Goa", "IN", "Asia/Kolkata", "INR", 15.4909, 73.8278, 600000, 1200, "Dayanand Bandodkar Marg", true},
	{"Oslo", "NO", "Europe/Oslo", "NOK", 59.9139, 10.7522, 170000, 1200, "Karl Johans gate", false},
	{"Nassau", "BS", "America/Nassau", "BSD", 25.0443, -77.3504, 30000, 1000, "Bay Street", true},
	{"Beijing", "CN", "Asia/Shanghai", "CNY", 39.9042, 116.4074, 70000, 600, "Wangfujing Street", false},
	{"Windhoek", "NA", "Africa/Windhoek", "NAD", -22.5609, 17.0658, 150000, 1500, "Independence Avenue", false},
	{"Edinburgh", "GB", "Europe/London", "GBP", 55.9533, -3.1883, 14000, 2000, "Princes Street", false},
	{"Phnom Penh", "KH", "Asia/Phnom_Penh", "USD", 11.5564, 104.9282, 6000, 1000, "Sisowath Quay", false},
	{"Helsinki", "FI", "Europe/Helsinki", "EUR", 60.1699, 24.9384, 13000, 1000, "Esplanadi", false},
}

// numberFirst lists the countries whose addresses put the house number before
// the street name.
var numberFirst = map[string]bool{
	"US": true, "GB": true, "IE": true, "CA": true, "AU": true, "NZ": true, "ZA": true, "SG": true,
	"IN": true, "LK": true, "NG": true, "KE": true, "JM": true, "BS": true, "AS": true, "FJ": true,
	"HK": true, "MY": true, "PH": true, "FR": true, "AE": true, "NA": true,
}
