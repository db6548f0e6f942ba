package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/sms"
)

// notifyFlags configure how guests are told about their bookings.
type notifyFlags struct {
	smtpAddr   *string
	smtpFrom   *string
	smsGateway *string
	smsToken   *string
}

func addNotifyFlags(f *flags) notifyFlags {
	return notifyFlags{
		smtpAddr:   f.String("smtp-addr", "", "SMTP server host:port for guest emails (none: no emails)"),
		smtpFrom:   f.String("smtp-from", "stays@localhost", "sender address of guest emails"),
		smsGateway: f.String("sms-gateway-url", "", "HTTP gateway URL for guest SMS (none: no SMS)"),
		smsToken:   f.String("sms-token", "", "bearer token of the SMS gateway"),
	}
}

// notifications builds the notification service from the configured
// channels (email first, SMS as its fallback) and connects it to the booking
// core. With no channel configured, guests are not notified.
func notifications(n notifyFlags, pool *pgxpool.Pool, bookings *booking.Service, jobs *river.Client[pgx.Tx], workers *river.Workers, log *slog.Logger) error {
	registry := notify.NewRegistry()
	var route []string
	if *n.smtpAddr != "" {
		host, portText, err := net.SplitHostPort(*n.smtpAddr)
		if err != nil {
			return fmt.Errorf("--smtp-addr %q: %w", *n.smtpAddr, err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return fmt.Errorf("--smtp-addr %q: port: %w", *n.smtpAddr, err)
		}
		ch, err := email.New(host, port, *n.smtpFrom, email.Opts{})
		if err != nil {
			return err
		}
		registry.Register(ch)
		route = append(route, ch.Name())
	}
	if *n.smsGateway != "" {
		ch, err := sms.New(*n.smsGateway, *n.smsToken, sms.Opts{})
		if err != nil {
			return err
		}
		registry.Register(ch)
		route = append(route, ch.Name())
	}
	if len(route) == 0 {
		log.Info("no notification channel configured (--smtp-addr, --sms-gateway-url): guests are not notified")
		return nil
	}
	opts := notify.Opts{Jobs: jobs, Channels: []string{route[0]}}
	if len(route) > 1 {
		opts.Fallback = map[string]string{route[0]: route[1]}
	}
	svc := notify.NewService(pool, registry, bookings, opts)
	bookings.SetNotifier(svc)
	notify.AddWorkers(workers, svc)
	return nil
}
