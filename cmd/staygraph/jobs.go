package main

import (
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// jobRetention is how long River keeps the jobs it stopped for good:
// discarded (out of attempts: a refund or a payment's reconciliation whose
// provider never answered) and cancelled (a refund through a provider this
// server does not have, a partner no longer configured). River keeps
// cancelled jobs a day by default; a week for both leaves the alerts on
// staygraph_jobs{state="discarded"} and {state="cancelled"} time to fire,
// and staff time to act (retryRefund, retryPaymentLookup), over a weekend.
const jobRetention = 7 * 24 * time.Hour

// jobsConfig is the River configuration of the processes that run jobs
// (serve, indexer). River's cleaner runs in whichever of them leads, so both
// keep jobs as long.
func jobsConfig(queues map[string]river.QueueConfig, workers *river.Workers, log *slog.Logger) *river.Config {
	return &river.Config{
		Queues:                      queues,
		Workers:                     workers,
		Logger:                      log,
		CancelledJobRetentionPeriod: jobRetention,
		DiscardedJobRetentionPeriod: jobRetention,
	}
}
