-- +goose Up
-- notifications.last_error, which guests read with their booking, held what
-- the SMS gateway and the mail server said until this release: the
-- gateway's URL with its query (an api_key=…) in a network error, its
-- internal address, up to 300 bytes of its answer's body, the mail server's
-- host and port and its replies' text. Delivery now stores the status code
-- or a short reason only (internal/notify); this rewrites what was stored
-- before to the same shape. Rows written since do not match and stay as
-- they are. The table is neither audited nor published.
UPDATE notifications SET last_error = CASE
    -- "sms: sms gateway: Post \"https://…?api_key=…\": dial tcp 10.…: …"
    WHEN last_error ~ '^[a-z]+: sms gateway: Post '
        THEN substring(last_error FROM '^[a-z]+') || ': sms gateway unreachable'
    -- "sms: sms gateway refused the message: 400 Bad Request: <body>"
    WHEN last_error ~ '^[a-z]+: sms gateway refused the message: [0-9]{3}( |$)'
        THEN regexp_replace(last_error, '^([a-z]+): sms gateway refused the message: ([0-9]{3}).*$',
                            '\1: sms gateway refused the message: answered \2', 's')
    -- "sms: sms gateway: 503 Service Unavailable: <body>"
    WHEN last_error ~ '^[a-z]+: sms gateway: [0-9]{3}( |$)'
        THEN regexp_replace(last_error, '^([a-z]+): sms gateway: ([0-9]{3}).*$', '\1: sms gateway answered \2', 's')
    -- "email: smtp: 550 5.1.1 <reply text>": the code and its enhanced code
    WHEN last_error ~ '^[a-z]+: smtp: [0-9]{3}\W*[245]\.[0-9]{1,3}\.[0-9]{1,3}'
        THEN regexp_replace(last_error, '^([a-z]+): smtp: ([0-9]{3})\W*([245]\.[0-9]{1,3}\.[0-9]{1,3}).*$',
                            '\1: smtp server answered \2 (\3)', 's')
    WHEN last_error ~ '^[a-z]+: smtp: [0-9]{3}( |$)'
        THEN regexp_replace(last_error, '^([a-z]+): smtp: ([0-9]{3}).*$', '\1: smtp server answered \2', 's')
    -- "email: smtp: the server does not offer authentication": no address
    WHEN last_error ~ '^[a-z]+: smtp: the server does not offer '
        THEN last_error
    -- "email: smtp: dial tcp 10.0.0.7:25: connect: connection refused", EOF, TLS
    WHEN last_error ~ '^[a-z]+: smtp: '
        THEN substring(last_error FROM '^[a-z]+') || ': smtp server unreachable'
    -- Anything else that names a URL loses it.
    ELSE regexp_replace(last_error, '[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]"]*', '[url]', 'g')
END
WHERE last_error ~ '^[a-z]+: (sms gateway|smtp)' OR last_error ~ '://';

-- +goose Down
-- What was removed is gone.
SELECT 1;
