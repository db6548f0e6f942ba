package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisTimeout bounds one rate limit check, so a slow Redis slows requests
// by little.
const redisTimeout = 250 * time.Millisecond

// redisPause is how long a limiter keeps to its local buckets after Redis
// failed, so an outage does not cost every request a timeout.
const redisPause = time.Second

// tokenBucket takes one token from the bucket in KEYS[1], a hash of tokens
// and the time it held them, atomically. ARGV: rate per second, burst. The
// clock is Redis's own, so API servers with skewed clocks share buckets
// fairly. It returns {allowed (0/1), tokens left, seconds to wait}; numbers
// with fractions travel as strings (Lua numbers become integers otherwise).
// An idle bucket expires once it would be full again.
var tokenBucket = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens), tostring(wait)}
`)

// RedisLimiter keeps token buckets in Redis, so several API servers share
// one limit per caller. Each check is one atomic Lua script. When Redis
// fails, checks fall back to in-process buckets for a second (each server
// then enforces the limit on its own) before Redis is tried again; the
// failure is logged at most every ten seconds.
type RedisLimiter struct {
	client   redis.Scripter
	prefix   string
	fallback *MemoryLimiter
	log      *slog.Logger
	lastLog  atomic.Int64 // unix seconds of the last logged failure
	failedAt atomic.Int64 // unix nanoseconds of the last failure
}

var _ Limiter = (*RedisLimiter)(nil)

// RedisLimiterOpts configures a RedisLimiter.
type RedisLimiterOpts struct {
	// Prefix starts every key. Default "staygraph:ratelimit:".
	Prefix string
	// Logger receives Redis failures. Default slog.Default().
	Logger *slog.Logger
}

// NewRedisLimiter returns a limiter keeping its buckets in client.
func NewRedisLimiter(client redis.Scripter, opts RedisLimiterOpts) *RedisLimiter {
	if opts.Prefix == "" {
		opts.Prefix = "staygraph:ratelimit:"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &RedisLimiter{client: client, prefix: opts.Prefix, fallback: NewMemoryLimiter(), log: opts.Logger}
}

// Take takes a token from key's bucket in Redis, or from a local bucket
// when Redis does not answer. It never fails.
func (l *RedisLimiter) Take(ctx context.Context, key string, rule Rule) (Decision, error) {
	if time.Since(time.Unix(0, l.failedAt.Load())) < redisPause {
		return l.fallback.Take(ctx, key, rule)
	}
	d, err := l.take(ctx, key, rule)
	if err == nil {
		return d, nil
	}
	if ctx.Err() == nil {
		l.failedAt.Store(time.Now().UnixNano())
		if now := time.Now().Unix(); l.lastLog.Swap(now) < now-10 {
			l.log.ErrorContext(ctx, "rate limit store unavailable; limiting per server", "err", err)
		}
	}
	return l.fallback.Take(ctx, key, rule)
}

func (l *RedisLimiter) take(ctx context.Context, key string, rule Rule) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := tokenBucket.Run(ctx, l.client, []string{l.redisKey(key)},
		strconv.FormatFloat(rule.Rate, 'f', -1, 64), strconv.Itoa(int(rule.burst()))).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("redis token bucket: %w", err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("redis token bucket: %d values, want 3", len(res))
	}
	allowed, ok1 := res[0].(int64)
	tokensText, ok2 := res[1].(string)
	waitText, ok3 := res[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return Decision{}, errors.New("redis token bucket: unexpected reply types")
	}
	tokens, err1 := strconv.ParseFloat(tokensText, 64)
	wait, err2 := strconv.ParseFloat(waitText, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Decision{}, fmt.Errorf("redis token bucket: %w", err)
	}
	return Decision{
		Allowed:    allowed == 1,
		Remaining:  int(tokens),
		RetryAfter: time.Duration(wait * float64(time.Second)),
	}, nil
}

// redisKey hashes key: rate limit keys hold client addresses and subjects,
// which have no business being readable in Redis.
func (l *RedisLimiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + hex.EncodeToString(sum[:16])
}
