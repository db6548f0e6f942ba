-- The catalog of 'staygraph bench search', generated in SQL (INSERT ... SELECT
-- over generate_series) because going through the services would take hours.
--
-- Run by benchsearch.go on one connection, step by step (each "-- step:" line
-- starts one), after it set:
--   benchsearch.hotels        hotels to generate
--   benchsearch.room_types    room types per hotel on average (uniform in avg/2 .. 3avg/2)
--   benchsearch.nights        nights of rates and inventory, from benchsearch.first_night
--   benchsearch.first_night   the first night (yesterday in UTC, so every hotel's "today" is covered)
--   setseed(...)              random() draws are then deterministic: the session
--                             has parallel query switched off and every volatile
--                             draw is made in a subquery scanned in a fixed order.
-- Ids are md5 hashes of names, so they are deterministic too.
--
-- Shape: ~200 real cities in three tiers (tier weight 4/2/1: a tier-1 city gets
-- about 4x the hotels of a tier-3 one) with their IANA zone and currency;
-- hotels jittered around the centre (denser near it), 1-5 stars, amenities
-- from a vocabulary of 16 with frequencies that grow with stars (beach only in
-- beach cities); room types from 10 templates (single to family suite); 5-40
-- rooms each; one rate plan each; a nightly rate for every night (season by
-- hemisphere, weekends dearer); inventory rows for ~30% of room-type nights,
-- ~5% sold out, concentrated on popular hotels, weekends and high season.

-- step: cities
CREATE TABLE bench_cities (
    id           serial PRIMARY KEY,
    name         text    NOT NULL,
    country_code char(2) NOT NULL,
    time_zone    text    NOT NULL,
    currency     char(3) NOT NULL,
    lat          float8  NOT NULL,
    lon          float8  NOT NULL,
    usd          int     NOT NULL, -- mid-range double room per night, in US dollars
    tax_bps      int     NOT NULL,
    beach        boolean NOT NULL,
    weight       int     NOT NULL, -- 4, 2 or 1: share of the hotels
    spread_km    float8,           -- how far hotels scatter from the centre
    cum_from     int,
    cum_to       int
);
INSERT INTO bench_cities (name, country_code, time_zone, currency, lat, lon, usd, tax_bps, beach, weight) VALUES
-- tier 1
('London', 'GB', 'Europe/London', 'GBP', 51.5074, -0.1278, 220, 2000, false, 4),
('Paris', 'FR', 'Europe/Paris', 'EUR', 48.8566, 2.3522, 210, 1000, false, 4),
('New York', 'US', 'America/New_York', 'USD', 40.7128, -74.0060, 260, 1475, false, 4),
('Tokyo', 'JP', 'Asia/Tokyo', 'JPY', 35.6762, 139.6503, 170, 1000, false, 4),
('Dubai', 'AE', 'Asia/Dubai', 'AED', 25.2048, 55.2708, 190, 1000, true, 4),
('Singapore', 'SG', 'Asia/Singapore', 'SGD', 1.3521, 103.8198, 220, 900, false, 4),
('Bangkok', 'TH', 'Asia/Bangkok', 'THB', 13.7563, 100.5018, 80, 700, false, 4),
('Barcelona', 'ES', 'Europe/Madrid', 'EUR', 41.3874, 2.1686, 170, 1000, true, 4),
('Rome', 'IT', 'Europe/Rome', 'EUR', 41.9028, 12.4964, 170, 1000, false, 4),
('Istanbul', 'TR', 'Europe/Istanbul', 'TRY', 41.0082, 28.9784, 110, 1000, false, 4),
('Los Angeles', 'US', 'America/Los_Angeles', 'USD', 34.0522, -118.2437, 220, 1400, true, 4),
('Las Vegas', 'US', 'America/Los_Angeles', 'USD', 36.1699, -115.1398, 150, 1338, false, 4),
('Hong Kong', 'HK', 'Asia/Hong_Kong', 'HKD', 22.3193, 114.1694, 170, 0, false, 4),
('Amsterdam', 'NL', 'Europe/Amsterdam', 'EUR', 52.3676, 4.9041, 200, 1250, false, 4),
('Berlin', 'DE', 'Europe/Berlin', 'EUR', 52.5200, 13.4050, 130, 700, false, 4),
('Madrid', 'ES', 'Europe/Madrid', 'EUR', 40.4168, -3.7038, 140, 1000, false, 4),
('Sydney', 'AU', 'Australia/Sydney', 'AUD', -33.8688, 151.2093, 190, 1000, true, 4),
('Miami', 'US', 'America/New_York', 'USD', 25.7617, -80.1918, 230, 1300, true, 4),
('Orlando', 'US', 'America/New_York', 'USD', 28.5383, -81.3792, 140, 1250, false, 4),
('Seoul', 'KR', 'Asia/Seoul', 'KRW', 37.5665, 126.9780, 130, 1000, false, 4),
('Shanghai', 'CN', 'Asia/Shanghai', 'CNY', 31.2304, 121.4737, 120, 600, false, 4),
('Mexico City', 'MX', 'America/Mexico_City', 'MXN', 19.4326, -99.1332, 110, 1900, false, 4),
('Lisbon', 'PT', 'Europe/Lisbon', 'EUR', 38.7223, -9.1393, 140, 600, false, 4),
('Prague', 'CZ', 'Europe/Prague', 'CZK', 50.0755, 14.4378, 110, 1200, false, 4),
('Cancún', 'MX', 'America/Cancun', 'MXN', 21.1619, -86.8515, 200, 1900, true, 4),
-- tier 2
('Vienna', 'AT', 'Europe/Vienna', 'EUR', 48.2082, 16.3738, 150, 1000, false, 2),
('Budapest', 'HU', 'Europe/Budapest', 'HUF', 47.4979, 19.0402, 100, 1800, false, 2),
('Munich', 'DE', 'Europe/Berlin', 'EUR', 48.1351, 11.5820, 160, 700, false, 2),
('Milan', 'IT', 'Europe/Rome', 'EUR', 45.4642, 9.1900, 180, 1000, false, 2),
('Venice', 'IT', 'Europe/Rome', 'EUR', 45.4408, 12.3155, 230, 1000, false, 2),
('Florence', 'IT', 'Europe/Rome', 'EUR', 43.7696, 11.2558, 190, 1000, false, 2),
('Athens', 'GR', 'Europe/Athens', 'EUR', 37.9838, 23.7275, 120, 1300, false, 2),
('Dublin', 'IE', 'Europe/Dublin', 'EUR', 53.3498, -6.2603, 200, 900, false, 2),
('Edinburgh', 'GB', 'Europe/London', 'GBP', 55.9533, -3.1883, 170, 2000, false, 2),
('Copenhagen', 'DK', 'Europe/Copenhagen', 'DKK', 55.6761, 12.5683, 190, 2000, false, 2),
('Stockholm', 'SE', 'Europe/Stockholm', 'SEK', 59.3293, 18.0686, 160, 1200, false, 2),
('Zurich', 'CH', 'Europe/Zurich', 'CHF', 47.3769, 8.5417, 260, 380, false, 2),
('Brussels', 'BE', 'Europe/Brussels', 'EUR', 50.8503, 4.3517, 140, 600, false, 2),
('Warsaw', 'PL', 'Europe/Warsaw', 'PLN', 52.2297, 21.0122, 90, 800, false, 2),
('Kraków', 'PL', 'Europe/Warsaw', 'PLN', 50.0647, 19.9450, 80, 800, false, 2),
('Nice', 'FR', 'Europe/Paris', 'EUR', 43.7102, 7.2620, 190, 1000, true, 2),
('San Francisco', 'US', 'America/Los_Angeles', 'USD', 37.7749, -122.4194, 240, 1400, false, 2),
('Chicago', 'US', 'America/Chicago', 'USD', 41.8781, -87.6298, 190, 1800, false, 2),
('Washington', 'US', 'America/New_York', 'USD', 38.9072, -77.0369, 210, 1495, false, 2),
('Boston', 'US', 'America/New_York', 'USD', 42.3601, -71.0589, 250, 1445, false, 2),
('San Diego', 'US', 'America/Los_Angeles', 'USD', 32.7157, -117.1611, 200, 1250, true, 2),
('Honolulu', 'US', 'Pacific/Honolulu', 'USD', 21.3069, -157.8583, 300, 1800, true, 2),
('New Orleans', 'US', 'America/Chicago', 'USD', 29.9511, -90.0715, 170, 1600, false, 2),
('Toronto', 'CA', 'America/Toronto', 'CAD', 43.6532, -79.3832, 190, 1300, false, 2),
('Vancouver', 'CA', 'America/Vancouver', 'CAD', 49.2827, -123.1207, 210, 1600, false, 2),
('Montreal', 'CA', 'America/Toronto', 'CAD', 45.5019, -73.5674, 160, 1500, false, 2),
('Rio de Janeiro', 'BR', 'America/Sao_Paulo', 'BRL', -22.9068, -43.1729, 110, 500, true, 2),
('São Paulo', 'BR', 'America/Sao_Paulo', 'BRL', -23.5505, -46.6333, 100, 500, false, 2),
('Buenos Aires', 'AR', 'America/Argentina/Buenos_Aires', 'ARS', -34.6037, -58.3816, 90, 2000, false, 2),
('Lima', 'PE', 'America/Lima', 'PEN', -12.0464, -77.0428, 90, 1800, false, 2),
('Bogotá', 'CO', 'America/Bogota', 'COP', 4.7110, -74.0721, 70, 1900, false, 2),
('Kyoto', 'JP', 'Asia/Tokyo', 'JPY', 35.0116, 135.7681, 160, 1000, false, 2),
('Osaka', 'JP', 'Asia/Tokyo', 'JPY', 34.6937, 135.5023, 130, 1000, false, 2),
('Beijing', 'CN', 'Asia/Shanghai', 'CNY', 39.9042, 116.4074, 110, 600, false, 2),
('Taipei', 'TW', 'Asia/Taipei', 'TWD', 25.0330, 121.5654, 120, 500, false, 2),
('Kuala Lumpur', 'MY', 'Asia/Kuala_Lumpur', 'MYR', 3.1390, 101.6869, 70, 800, false, 2),
('Bali', 'ID', 'Asia/Makassar', 'IDR', -8.6705, 115.2126, 90, 1000, true, 2),
('Phuket', 'TH', 'Asia/Bangkok', 'THB', 7.8804, 98.3923, 100, 700, true, 2),
('Ho Chi Minh City', 'VN', 'Asia/Ho_Chi_Minh', 'VND', 10.8231, 106.6297, 60, 1000, false, 2),
('Manila', 'PH', 'Asia/Manila', 'PHP', 14.5995, 120.9842, 80, 1200, false, 2),
('Mumbai', 'IN', 'Asia/Kolkata', 'INR', 19.0760, 72.8777, 100, 1200, true, 2),
('Delhi', 'IN', 'Asia/Kolkata', 'INR', 28.6139, 77.2090, 80, 1200, false, 2),
('Melbourne', 'AU', 'Australia/Melbourne', 'AUD', -37.8136, 144.9631, 170, 1000, false, 2),
('Auckland', 'NZ', 'Pacific/Auckland', 'NZD', -36.8485, 174.7633, 160, 1500, false, 2),
('Cape Town', 'ZA', 'Africa/Johannesburg', 'ZAR', -33.9249, 18.4241, 120, 1500, true, 2),
('Marrakech', 'MA', 'Africa/Casablanca', 'MAD', 31.6295, -7.9811, 110, 1000, false, 2),
('Cairo', 'EG', 'Africa/Cairo', 'EGP', 30.0444, 31.2357, 70, 1400, false, 2),
('Tel Aviv', 'IL', 'Asia/Jerusalem', 'ILS', 32.0853, 34.7818, 220, 1700, true, 2),
('Doha', 'QA', 'Asia/Qatar', 'QAR', 25.2854, 51.5310, 150, 1000, false, 2),
('Abu Dhabi', 'AE', 'Asia/Dubai', 'AED', 24.4539, 54.3773, 160, 1000, true, 2),
('Riyadh', 'SA', 'Asia/Riyadh', 'SAR', 24.7136, 46.6753, 150, 1500, false, 2),
('Oslo', 'NO', 'Europe/Oslo', 'NOK', 59.9139, 10.7522, 170, 1200, false, 2),
('Helsinki', 'FI', 'Europe/Helsinki', 'EUR', 60.1699, 24.9384, 140, 1000, false, 2),
('Reykjavik', 'IS', 'Atlantic/Reykjavik', 'ISK', 64.1466, -21.9426, 220, 1100, false, 2),
('Seville', 'ES', 'Europe/Madrid', 'EUR', 37.3891, -5.9845, 130, 1000, false, 2),
('Porto', 'PT', 'Europe/Lisbon', 'EUR', 41.1579, -8.6291, 120, 600, false, 2),
('Palma', 'ES', 'Europe/Madrid', 'EUR', 39.5696, 2.6502, 170, 1000, true, 2),
-- tier 3: Europe
('Lyon', 'FR', 'Europe/Paris', 'EUR', 45.7640, 4.8357, 120, 1000, false, 1),
('Marseille', 'FR', 'Europe/Paris', 'EUR', 43.2965, 5.3698, 120, 1000, true, 1),
('Bordeaux', 'FR', 'Europe/Paris', 'EUR', 44.8378, -0.5792, 120, 1000, false, 1),
('Hamburg', 'DE', 'Europe/Berlin', 'EUR', 53.5511, 9.9937, 140, 700, false, 1),
('Frankfurt', 'DE', 'Europe/Berlin', 'EUR', 50.1109, 8.6821, 150, 700, false, 1),
('Naples', 'IT', 'Europe/Rome', 'EUR', 40.8518, 14.2681, 120, 1000, true, 1),
('Valencia', 'ES', 'Europe/Madrid', 'EUR', 39.4699, -0.3763, 110, 1000, true, 1),
('Málaga', 'ES', 'Europe/Madrid', 'EUR', 36.7213, -4.4214, 120, 1000, true, 1),
('Geneva', 'CH', 'Europe/Zurich', 'CHF', 46.2044, 6.1432, 250, 380, false, 1),
('Salzburg', 'AT', 'Europe/Vienna', 'EUR', 47.8095, 13.0550, 140, 1000, false, 1),
('Bruges', 'BE', 'Europe/Brussels', 'EUR', 51.2093, 3.2247, 140, 600, false, 1),
('Luxembourg', 'LU', 'Europe/Luxembourg', 'EUR', 49.6116, 6.1319, 170, 300, false, 1),
('Monaco', 'MC', 'Europe/Monaco', 'EUR', 43.7384, 7.4246, 400, 1000, true, 1),
('Manchester', 'GB', 'Europe/London', 'GBP', 53.4808, -2.2426, 120, 2000, false, 1),
('Bath', 'GB', 'Europe/London', 'GBP', 51.3811, -2.3590, 160, 2000, false, 1),
('Bergen', 'NO', 'Europe/Oslo', 'NOK', 60.3913, 5.3221, 160, 1200, false, 1),
('Tallinn', 'EE', 'Europe/Tallinn', 'EUR', 59.4370, 24.7536, 100, 900, false, 1),
('Riga', 'LV', 'Europe/Riga', 'EUR', 56.9496, 24.1052, 80, 1200, false, 1),
('Vilnius', 'LT', 'Europe/Vilnius', 'EUR', 54.6872, 25.2797, 80, 900, false, 1),
('Bucharest', 'RO', 'Europe/Bucharest', 'RON', 44.4268, 26.1025, 80, 900, false, 1),
('Sofia', 'BG', 'Europe/Sofia', 'BGN', 42.6977, 23.3219, 70, 900, false, 1),
('Belgrade', 'RS', 'Europe/Belgrade', 'RSD', 44.7866, 20.4489, 80, 1000, false, 1),
('Zagreb', 'HR', 'Europe/Zagreb', 'EUR', 45.8150, 15.9819, 90, 1300, false, 1),
('Dubrovnik', 'HR', 'Europe/Zagreb', 'EUR', 42.6507, 18.0944, 200, 1300, true, 1),
('Split', 'HR', 'Europe/Zagreb', 'EUR', 43.5081, 16.4402, 150, 1300, true, 1),
('Ljubljana', 'SI', 'Europe/Ljubljana', 'EUR', 46.0569, 14.5058, 110, 950, false, 1),
('Sarajevo', 'BA', 'Europe/Sarajevo', 'BAM', 43.8563, 18.4131, 60, 1700, false, 1),
('Tirana', 'AL', 'Europe/Tirane', 'ALL', 41.3275, 19.8187, 60, 600, false, 1),
('Santorini', 'GR', 'Europe/Athens', 'EUR', 36.3932, 25.4615, 250, 1300, true, 1),
('Valletta', 'MT', 'Europe/Malta', 'EUR', 35.8989, 14.5146, 130, 700, true, 1),
-- tier 3: Middle East and Africa
('Amman', 'JO', 'Asia/Amman', 'JOD', 31.9454, 35.9284, 110, 1600, false, 1),
('Muscat', 'OM', 'Asia/Muscat', 'OMR', 23.5880, 58.3829, 140, 1000, true, 1),
('Kuwait City', 'KW', 'Asia/Kuwait', 'KWD', 29.3759, 47.9774, 150, 0, false, 1),
('Jeddah', 'SA', 'Asia/Riyadh', 'SAR', 21.4858, 39.1925, 120, 1500, true, 1),
('Tbilisi', 'GE', 'Asia/Tbilisi', 'GEL', 41.7151, 44.8271, 70, 1800, false, 1),
('Yerevan', 'AM', 'Asia/Yerevan', 'AMD', 40.1792, 44.4991, 70, 2000, false, 1),
('Baku', 'AZ', 'Asia/Baku', 'AZN', 40.4093, 49.8671, 90, 1800, false, 1),
('Tunis', 'TN', 'Africa/Tunis', 'TND', 36.8065, 10.1815, 70, 700, true, 1),
('Casablanca', 'MA', 'Africa/Casablanca', 'MAD', 33.5731, -7.5898, 90, 1000, true, 1),
('Nairobi', 'KE', 'Africa/Nairobi', 'KES', -1.2921, 36.8219, 110, 1600, false, 1),
('Zanzibar', 'TZ', 'Africa/Dar_es_Salaam', 'TZS', -6.1659, 39.2026, 110, 1800, true, 1),
('Kigali', 'RW', 'Africa/Kigali', 'RWF', -1.9441, 30.0619, 90, 1800, false, 1),
('Addis Ababa', 'ET', 'Africa/Addis_Ababa', 'ETB', 9.0300, 38.7400, 80, 1500, false, 1),
('Lagos', 'NG', 'Africa/Lagos', 'NGN', 6.5244, 3.3792, 120, 750, true, 1),
('Accra', 'GH', 'Africa/Accra', 'GHS', 5.6037, -0.1870, 100, 1500, true, 1),
('Dakar', 'SN', 'Africa/Dakar', 'XOF', 14.7167, -17.4677, 90, 1000, true, 1),
('Johannesburg', 'ZA', 'Africa/Johannesburg', 'ZAR', -26.2041, 28.0473, 90, 1500, false, 1),
('Port Louis', 'MU', 'Indian/Mauritius', 'MUR', -20.1609, 57.5012, 150, 1500, true, 1),
('Malé', 'MV', 'Indian/Maldives', 'MVR', 4.1755, 73.5093, 300, 1700, true, 1),
('Sharm El Sheikh', 'EG', 'Africa/Cairo', 'EGP', 27.9158, 34.3300, 70, 1400, true, 1),
-- tier 3: Asia
('Chiang Mai', 'TH', 'Asia/Bangkok', 'THB', 18.7883, 98.9853, 50, 700, false, 1),
('Pattaya', 'TH', 'Asia/Bangkok', 'THB', 12.9236, 100.8825, 60, 700, true, 1),
('Hanoi', 'VN', 'Asia/Ho_Chi_Minh', 'VND', 21.0278, 105.8342, 50, 1000, false, 1),
('Phnom Penh', 'KH', 'Asia/Phnom_Penh', 'KHR', 11.5564, 104.9282, 50, 1000, false, 1),
('Yangon', 'MM', 'Asia/Yangon', 'MMK', 16.8409, 96.1735, 50, 500, false, 1),
('Jakarta', 'ID', 'Asia/Jakarta', 'IDR', -6.2088, 106.8456, 70, 1000, false, 1),
('Cebu', 'PH', 'Asia/Manila', 'PHP', 10.3157, 123.8854, 60, 1200, true, 1),
('Penang', 'MY', 'Asia/Kuala_Lumpur', 'MYR', 5.4141, 100.3288, 60, 800, true, 1),
('Colombo', 'LK', 'Asia/Colombo', 'LKR', 6.9271, 79.8612, 80, 1800, true, 1),
('Kathmandu', 'NP', 'Asia/Kathmandu', 'NPR', 27.7172, 85.3240, 50, 1300, false, 1),
('Dhaka', 'BD', 'Asia/Dhaka', 'BDT', 23.8103, 90.4125, 70, 1500, false, 1),
('Karachi', 'PK', 'Asia/Karachi', 'PKR', 24.8607, 67.0011, 60, 1600, true, 1),
('Goa', 'IN', 'Asia/Kolkata', 'INR', 15.4909, 73.8278, 70, 1200, true, 1),
('Bangalore', 'IN', 'Asia/Kolkata', 'INR', 12.9716, 77.5946, 80, 1200, false, 1),
('Almaty', 'KZ', 'Asia/Almaty', 'KZT', 43.2220, 76.8512, 80, 1200, false, 1),
('Tashkent', 'UZ', 'Asia/Tashkent', 'UZS', 41.2995, 69.2401, 70, 1200, false, 1),
('Ulaanbaatar', 'MN', 'Asia/Ulaanbaatar', 'MNT', 47.8864, 106.9057, 70, 1000, false, 1),
('Busan', 'KR', 'Asia/Seoul', 'KRW', 35.1796, 129.0756, 100, 1000, true, 1),
('Sapporo', 'JP', 'Asia/Tokyo', 'JPY', 43.0618, 141.3545, 110, 1000, false, 1),
('Fukuoka', 'JP', 'Asia/Tokyo', 'JPY', 33.5904, 130.4017, 100, 1000, false, 1),
('Naha', 'JP', 'Asia/Tokyo', 'JPY', 26.2124, 127.6809, 130, 1000, true, 1),
('Guangzhou', 'CN', 'Asia/Shanghai', 'CNY', 23.1291, 113.2644, 90, 600, false, 1),
('Shenzhen', 'CN', 'Asia/Shanghai', 'CNY', 22.5431, 114.0579, 100, 600, false, 1),
('Xi''an', 'CN', 'Asia/Shanghai', 'CNY', 34.3416, 108.9398, 70, 600, false, 1),
-- tier 3: Oceania and the Pacific
('Brisbane', 'AU', 'Australia/Brisbane', 'AUD', -27.4698, 153.0251, 150, 1000, false, 1),
('Perth', 'AU', 'Australia/Perth', 'AUD', -31.9505, 115.8605, 160, 1000, true, 1),
('Adelaide', 'AU', 'Australia/Adelaide', 'AUD', -34.9285, 138.6007, 130, 1000, false, 1),
('Gold Coast', 'AU', 'Australia/Brisbane', 'AUD', -28.0167, 153.4000, 160, 1000, true, 1),
('Cairns', 'AU', 'Australia/Brisbane', 'AUD', -16.9186, 145.7781, 140, 1000, true, 1),
('Queenstown', 'NZ', 'Pacific/Auckland', 'NZD', -45.0312, 168.6626, 200, 1500, false, 1),
('Chatham Islands', 'NZ', 'Pacific/Chatham', 'NZD', -43.9535, -176.5597, 200, 1500, true, 1),
('Suva', 'FJ', 'Pacific/Fiji', 'FJD', -18.1248, 178.4501, 150, 1500, true, 1),
('Papeete', 'PF', 'Pacific/Tahiti', 'XPF', -17.5516, -149.5585, 280, 1000, true, 1),
('Apia', 'WS', 'Pacific/Apia', 'WST', -13.8507, -171.7514, 140, 1500, true, 1),
('Nuku''alofa', 'TO', 'Pacific/Tongatapu', 'TOP', -21.1394, -175.2049, 120, 1500, true, 1),
('Port Vila', 'VU', 'Pacific/Efate', 'VUV', -17.7333, 168.3273, 150, 1500, true, 1),
('Kiritimati', 'KI', 'Pacific/Kiritimati', 'AUD', 1.8721, -157.4278, 150, 1250, true, 1),
('Pago Pago', 'AS', 'Pacific/Pago_Pago', 'USD', -14.2756, -170.7020, 150, 0, true, 1),
-- tier 3: the Americas
('Seattle', 'US', 'America/Los_Angeles', 'USD', 47.6062, -122.3321, 200, 1570, false, 1),
('Denver', 'US', 'America/Denver', 'USD', 39.7392, -104.9903, 170, 1500, false, 1),
('Phoenix', 'US', 'America/Phoenix', 'USD', 33.4484, -112.0740, 150, 1200, false, 1),
('Austin', 'US', 'America/Chicago', 'USD', 30.2672, -97.7431, 190, 1500, false, 1),
('Nashville', 'US', 'America/Chicago', 'USD', 36.1627, -86.7816, 210, 1525, false, 1),
('Atlanta', 'US', 'America/New_York', 'USD', 33.7490, -84.3880, 160, 1690, false, 1),
('Philadelphia', 'US', 'America/New_York', 'USD', 39.9526, -75.1652, 180, 1550, false, 1),
('Anchorage', 'US', 'America/Anchorage', 'USD', 61.2181, -149.9003, 180, 1200, false, 1),
('Charleston', 'US', 'America/New_York', 'USD', 32.7765, -79.9311, 220, 1400, true, 1),
('St. John''s', 'CA', 'America/St_Johns', 'CAD', 47.5615, -52.7126, 140, 1500, false, 1),
('Puerto Vallarta', 'MX', 'America/Mexico_City', 'MXN', 20.6534, -105.2253, 130, 1900, true, 1),
('Cabo San Lucas', 'MX', 'America/Mazatlan', 'MXN', 22.8905, -109.9167, 250, 1900, true, 1),
('Punta Cana', 'DO', 'America/Santo_Domingo', 'DOP', 18.5601, -68.3725, 200, 2800, true, 1),
('San Juan', 'PR', 'America/Puerto_Rico', 'USD', 18.4655, -66.1057, 200, 1100, true, 1),
('Montego Bay', 'JM', 'America/Jamaica', 'JMD', 18.4762, -77.8939, 180, 1500, true, 1),
('Nassau', 'BS', 'America/Nassau', 'BSD', 25.0443, -77.3504, 250, 1000, true, 1),
('Bridgetown', 'BB', 'America/Barbados', 'BBD', 13.0975, -59.6167, 250, 1000, true, 1),
('Castries', 'LC', 'America/St_Lucia', 'XCD', 14.0101, -60.9875, 280, 1000, true, 1),
('San José', 'CR', 'America/Costa_Rica', 'CRC', 9.9281, -84.0907, 90, 1300, false, 1),
('Panama City', 'PA', 'America/Panama', 'USD', 8.9824, -79.5199, 110, 1000, false, 1),
('Cartagena', 'CO', 'America/Bogota', 'COP', 10.3910, -75.4794, 110, 1900, true, 1),
('Quito', 'EC', 'America/Guayaquil', 'USD', -0.1807, -78.4678, 70, 1500, false, 1),
('Cusco', 'PE', 'America/Lima', 'PEN', -13.5320, -71.9675, 80, 1800, false, 1),
('La Paz', 'BO', 'America/La_Paz', 'BOB', -16.4897, -68.1193, 50, 1300, false, 1),
('Santiago', 'CL', 'America/Santiago', 'CLP', -33.4489, -70.6693, 100, 1900, false, 1),
('Montevideo', 'UY', 'America/Montevideo', 'UYU', -34.9011, -56.1645, 100, 1000, true, 1),
('Asunción', 'PY', 'America/Asuncion', 'PYG', -25.2637, -57.5759, 60, 1000, false, 1),
('Mendoza', 'AR', 'America/Argentina/Mendoza', 'ARS', -32.8895, -68.8458, 70, 2000, false, 1),
('Salvador', 'BR', 'America/Bahia', 'BRL', -12.9777, -38.5016, 80, 500, true, 1),
('Florianópolis', 'BR', 'America/Sao_Paulo', 'BRL', -27.5954, -48.5480, 90, 500, true, 1),
('Recife', 'BR', 'America/Recife', 'BRL', -8.0476, -34.8770, 70, 500, true, 1),
('Nuuk', 'GL', 'America/Nuuk', 'DKK', 64.1814, -51.6941, 200, 0, false, 1);

-- Tier-1 cities sprawl more than small towns.
UPDATE bench_cities SET spread_km = 6 + 5 * weight;
UPDATE bench_cities c SET cum_from = s.cum - c.weight, cum_to = s.cum
FROM (SELECT id, sum(weight) OVER (ORDER BY id) AS cum FROM bench_cities) s WHERE s.id = c.id;

-- Every zone must be known to PostgreSQL (hotel-local dates are computed in
-- SQL) and every currency priced in exchange_rates.
DO $$
DECLARE bad text;
BEGIN
    SELECT string_agg(name || ' (' || time_zone || ')', ', ') INTO bad
    FROM bench_cities WHERE time_zone NOT IN (SELECT name FROM pg_timezone_names);
    IF bad IS NOT NULL THEN RAISE EXCEPTION 'unknown time zones: %', bad; END IF;
    SELECT string_agg(name || ' (' || currency || ')', ', ') INTO bad
    FROM bench_cities WHERE currency NOT IN (SELECT currency FROM exchange_rates);
    IF bad IS NOT NULL THEN RAISE EXCEPTION 'currencies without an exchange rate: %', bad; END IF;
END $$;

-- step: hotels
-- One row per hotel with its random draws, made in generate_series order.
CREATE TEMP TABLE gen_hotels AS
SELECT g.i, md5('benchsearch-hotel-' || g.i)::uuid AS id, c.id AS city_id,
       CASE WHEN g.u_star < 0.05 THEN 1 WHEN g.u_star < 0.20 THEN 2 WHEN g.u_star < 0.60 THEN 3
            WHEN g.u_star < 0.90 THEN 4 ELSE 5 END AS stars,
       -- distance from the centre: denser near it, up to the city's spread
       c.spread_km * power(g.u_dist, 1.6) AS dist_km, 2 * pi() * g.u_bear AS bearing,
       0.4 + 1.2 * g.u_pop AS pop, -- popularity: how often it is (sold) out
       1 + floor(g.u_rt * (current_setting('benchsearch.room_types')::int + 1))::int
         + current_setting('benchsearch.room_types')::int / 2 - 1 AS room_types,
       g.u_name
FROM (SELECT i, random() AS u_city, random() AS u_star, random() AS u_dist, random() AS u_bear,
             random() AS u_pop, random() AS u_rt, random() AS u_name
      FROM generate_series(1, current_setting('benchsearch.hotels')::int) i) g
JOIN bench_cities c ON floor(g.u_city * (SELECT sum(weight) FROM bench_cities)) >= c.cum_from
                   AND floor(g.u_city * (SELECT sum(weight) FROM bench_cities)) < c.cum_to
ORDER BY g.i;

-- Amenities per hotel: base + per_star * (stars - 1) (+ beach_add in beach cities).
CREATE TEMP TABLE gen_amenities (code text, base float8, per_star float8, beach_add float8, ord int);
INSERT INTO gen_amenities VALUES
    ('free_wifi', 0.93, 0, 0, 1), ('air_conditioning', 0.62, 0.04, 0.1, 2), ('parking', 0.55, 0, 0, 3),
    ('breakfast', 0.45, 0.03, 0, 4), ('restaurant', 0.12, 0.15, 0, 5), ('bar', 0.05, 0.14, 0.05, 6),
    ('gym', 0.03, 0.15, 0, 7), ('pool', 0.03, 0.10, 0.30, 8), ('spa', 0.0, 0.09, 0.05, 9),
    ('pet_friendly', 0.25, 0, 0, 10), ('family_rooms', 0.40, 0, 0.10, 11), ('accessible', 0.45, 0.07, 0, 12),
    ('airport_shuttle', 0.08, 0.04, 0, 13), ('ev_charging', 0.05, 0.04, 0, 14), ('room_service', 0.0, 0.13, 0, 15),
    ('beach', 0.0, 0, 0.60, 16);

INSERT INTO hotels (id, name, description, time_zone, latitude, longitude, address_line1, city, country_code,
                    star_rating, amenities, currency, tax_rate_bps)
SELECT h.id,
       (ARRAY['Grand', 'Royal', 'Park', 'Harbour', 'Garden', 'City', 'Central', 'Plaza', 'Riverside', 'Palace',
              'Boutique', 'Old Town', 'Station', 'Skyline', 'Heritage', 'Marina'])[1 + floor(h.u_name * 16)::int]
         || ' ' || (ARRAY['Hotel', 'Hotel', 'Inn', 'Suites', 'Lodge', 'Residences'])[1 + h.i % 6] || ' ' || c.name,
       h.stars || '-star hotel in ' || c.name,
       c.time_zone,
       least(89.9, greatest(-89.9, c.lat + h.dist_km / 111.32 * cos(h.bearing))),
       -- wrap across the antimeridian (Suva, Apia, Chatham Islands)
       CASE WHEN l.x > 180 THEN l.x - 360 WHEN l.x < -180 THEN l.x + 360 ELSE l.x END,
       (1 + h.i % 250) || ' Main Street', c.name, c.country_code, h.stars,
       a.amenities, c.currency, c.tax_bps
FROM gen_hotels h
JOIN bench_cities c ON c.id = h.city_id
CROSS JOIN LATERAL (SELECT c.lon + h.dist_km / (111.32 * cos(radians(c.lat))) * sin(h.bearing) AS x) l
-- the draws are made per hotel (h.i) in vocabulary order, then kept sorted
CROSS JOIN LATERAL (SELECT coalesce(array_agg(x.code ORDER BY x.ord), '{}') AS amenities
                    FROM (SELECT v.code, v.ord FROM gen_amenities v
                          WHERE random() < v.base + v.per_star * (h.stars - 1) + CASE WHEN c.beach THEN v.beach_add ELSE 0 END
                            AND h.i > 0
                          ORDER BY v.ord) x) a
ORDER BY h.i;
-- The load skips triggers: fill the dictionary of the hotels' words, as
-- the hotels trigger (search_words_add) would have.
INSERT INTO search_words
SELECT DISTINCT w FROM hotels, regexp_split_to_table(search_text, '[\W_]+') w WHERE w <> ''
ON CONFLICT DO NOTHING;

-- step: room types
-- Templates: name, adults, children, occupancy, price factor, weight (sum 100).
CREATE TEMP TABLE gen_templates (k int, name text, adults int, children int, occupancy int, factor float8, cum_from int, cum_to int);
INSERT INTO gen_templates VALUES
    (1, 'Single Room', 1, 0, 1, 0.75, 0, 8),
    (2, 'Standard Double', 2, 0, 2, 1.00, 8, 33),
    (3, 'Twin Room', 2, 0, 2, 1.00, 33, 47),
    (4, 'Superior Double', 2, 1, 3, 1.25, 47, 61),
    (5, 'Triple Room', 3, 0, 3, 1.30, 61, 68),
    (6, 'Family Room', 2, 2, 4, 1.50, 68, 78),
    (7, 'Junior Suite', 2, 1, 3, 1.80, 78, 86),
    (8, 'Family Suite', 4, 2, 5, 2.50, 86, 91),
    (9, 'Studio', 2, 0, 2, 1.10, 91, 96),
    (10, 'Quadruple Room', 4, 0, 4, 1.60, 96, 100);

CREATE TEMP TABLE gen_room_types AS
SELECT r.hotel_i, r.j, h.id AS hotel_id,
       md5('benchsearch-room-type-' || r.hotel_i || '-' || r.j)::uuid AS id,
       md5('benchsearch-rate-plan-' || r.hotel_i || '-' || r.j)::uuid AS rate_plan_id,
       t.name || ' ' || r.j AS name, t.adults, t.children, t.occupancy,
       5 + floor(r.u_rooms * 36)::int AS rooms, -- 5 to 40
       h.pop, c.lat < 0 AS southern,
       -- the nightly base price in the hotel's currency, whole major units
       greatest(1, round(c.usd * (ARRAY[0.45, 0.65, 0.85, 1.15, 1.9])[h.stars] * t.factor * (0.85 + 0.3 * r.u_price)
                         * x.per_usd))::bigint * power(10, x.minor_digits)::bigint AS base_price,
       power(10, x.minor_digits)::bigint AS unit
FROM (SELECT s.hotel_i, s.j, random() AS u_template, random() AS u_rooms, random() AS u_price
      FROM (SELECT i AS hotel_i, generate_series(1, room_types) AS j FROM gen_hotels ORDER BY i) s) r
JOIN gen_hotels h ON h.i = r.hotel_i
JOIN bench_cities c ON c.id = h.city_id
JOIN exchange_rates x ON x.currency = c.currency
JOIN gen_templates t ON floor(r.u_template * 100) >= t.cum_from AND floor(r.u_template * 100) < t.cum_to
ORDER BY r.hotel_i, r.j;

INSERT INTO room_types (id, hotel_id, name, max_adults, max_children, max_occupancy)
SELECT id, hotel_id, name, adults, children, occupancy FROM gen_room_types ORDER BY hotel_i, j;

-- step: rooms
INSERT INTO rooms (id, hotel_id, room_type_id, number)
SELECT md5('benchsearch-room-' || rt.hotel_i || '-' || rt.j || '-' || n)::uuid, rt.hotel_id, rt.id, (rt.j * 100 + n)::text
FROM gen_room_types rt CROSS JOIN LATERAL generate_series(1, rt.rooms) n;
-- The load skips triggers (session_replication_role = replica): set the
-- in-service counts the rooms trigger keeps (a no-op when it did run).
UPDATE room_types rt SET rooms_in_service = g.rooms
FROM gen_room_types g WHERE g.id = rt.id AND rt.rooms_in_service <> g.rooms;

-- step: rate plans
INSERT INTO rate_plans (id, hotel_id, room_type_id, name, cancellation_penalties)
SELECT rate_plan_id, hotel_id, id, 'Flexible', '[{"hoursBeforeCheckIn": 48, "percent": 100}]'
FROM gen_room_types ORDER BY hotel_i, j;

-- step: nightly rates
-- Bulk load: the primary key is rebuilt afterwards (a sorted build is several
-- times faster than 29M random inserts into a uuid-keyed index).
ALTER TABLE nightly_rates DROP CONSTRAINT nightly_rates_pkey;
DROP INDEX nightly_rates_hotel_night_idx;
INSERT INTO nightly_rates (rate_plan_id, night, hotel_id, room_type_id, amount)
SELECT rt.rate_plan_id, n.night, rt.hotel_id, rt.id,
       -- high season in July up north and in January down south (+-20%),
       -- Friday and Saturday nights 15% dearer; whole major units
       greatest(rt.unit, round(rt.base_price * n.week
                 * (1 + 0.2 * cos(2 * pi() * (extract(doy FROM n.night) - CASE WHEN rt.southern THEN 15 ELSE 196 END) / 365.25))
                 / rt.unit) * rt.unit)::bigint
FROM gen_room_types rt
CROSS JOIN (SELECT d::date AS night, CASE WHEN extract(isodow FROM d) IN (5, 6) THEN 1.15 ELSE 1 END AS week
            FROM generate_series(current_setting('benchsearch.first_night')::date,
                                 current_setting('benchsearch.first_night')::date + current_setting('benchsearch.nights')::int - 1,
                                 interval '1 day') d) n;
ALTER TABLE nightly_rates ADD CONSTRAINT nightly_rates_pkey PRIMARY KEY (rate_plan_id, night);
CREATE INDEX nightly_rates_hotel_night_idx ON nightly_rates (hotel_id, night, room_type_id, rate_plan_id) INCLUDE (amount);

-- step: inventory
-- ~30% of room-type nights have a row, ~5% sold out. Demand rises with the
-- hotel's popularity, on Friday and Saturday nights and in high season.
ALTER TABLE inventory DROP CONSTRAINT inventory_pkey;
DROP INDEX inventory_hotel_night_idx;
INSERT INTO inventory (room_type_id, night, hotel_id, capacity, reserved)
SELECT id, night, hotel_id, rooms,
       CASE WHEN u < 0.05 * demand THEN rooms ELSE floor(u2 * rooms)::int END
FROM (SELECT rt.id, rt.hotel_id, rt.rooms, n.night, random() AS u, random() AS u2,
             rt.pop * n.week
               * (1 + 0.25 * cos(2 * pi() * (extract(doy FROM n.night) - CASE WHEN rt.southern THEN 15 ELSE 196 END) / 365.25)) AS demand
      FROM (SELECT * FROM gen_room_types ORDER BY hotel_i, j) rt
      CROSS JOIN (SELECT d::date AS night, CASE WHEN extract(isodow FROM d) IN (5, 6) THEN 1.25 ELSE 0.9 END AS week
                  FROM generate_series(current_setting('benchsearch.first_night')::date,
                                       current_setting('benchsearch.first_night')::date + current_setting('benchsearch.nights')::int - 1,
                                       interval '1 day') d) n) x
WHERE u < 0.30 * demand;
ALTER TABLE inventory ADD CONSTRAINT inventory_pkey PRIMARY KEY (room_type_id, night);
CREATE INDEX inventory_hotel_night_idx ON inventory (hotel_id, night, room_type_id) INCLUDE (capacity, reserved);
