package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"os"
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
	smtpAddr     *string
	smtpFrom     *string
	smtpUsername *string
	smtpPassword *string
	smtpCAFile   *string
	smsGateway   *string
	smsToken     *string
}

func addNotifyFlags(f *flags) notifyFlags {
	return notifyFlags{
		smtpAddr: f.String("smtp-addr", "", "SMTP server host:port for guest emails (none: no emails)"),
		smtpFrom: f.String("smtp-from", "stays@localhost", "sender address of guest emails"),
		smtpUsername: f.String("smtp-username", "",
			"user name that logs in to the SMTP server (AUTH PLAIN, sent only after STARTTLS); empty: no login"),
		smtpPassword: f.String("smtp-password", "",
			"password of --smtp-username; set it in the environment, not on the command line"),
		smtpCAFile: f.String("smtp-ca-file", "",
			"PEM file of the CA certificates that verify the SMTP server's STARTTLS certificate; empty: the system's"),
		smsGateway: f.String("sms-gateway-url", "", "HTTP gateway URL for guest SMS (none: no SMS)"),
		smsToken:   f.String("sms-token", "", "bearer token of the SMS gateway"),
	}
}

// check refuses SMTP settings that cannot work, naming the flag.
func (n notifyFlags) check() error {
	if _, err := n.email(); err != nil {
		return err
	}
	_, err := n.sms()
	return err
}

// sms is the SMS channel the flags ask for; nil without --sms-gateway-url.
func (n notifyFlags) sms() (*sms.Channel, error) {
	if *n.smsGateway == "" {
		if *n.smsToken != "" {
			return nil, errors.New("--sms-token needs --sms-gateway-url")
		}
		return nil, nil
	}
	ch, err := sms.New(*n.smsGateway, *n.smsToken, sms.Opts{})
	if err != nil {
		return nil, fmt.Errorf("--sms-gateway-url, --sms-token: %w", err)
	}
	return ch, nil
}

// emailServer is where and how guest emails are sent.
type emailServer struct {
	host string
	port int
	opts email.Opts
}

// email reads the SMTP flags; nil without --smtp-addr. Credentials are
// given to net/smtp's PLAIN auth, which the email channel uses only once
// STARTTLS encrypted the connection: a server without STARTTLS fails every
// send, saying so, and never sees the password.
func (n notifyFlags) email() (*emailServer, error) {
	user, pass := *n.smtpUsername, *n.smtpPassword
	if *n.smtpAddr == "" {
		if user != "" || pass != "" || *n.smtpCAFile != "" {
			return nil, errors.New("--smtp-username, --smtp-password and --smtp-ca-file need --smtp-addr")
		}
		return nil, nil
	}
	host, portText, err := net.SplitHostPort(*n.smtpAddr)
	if err != nil {
		return nil, fmt.Errorf("--smtp-addr %q: %w", *n.smtpAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("--smtp-addr %q: port: %w", *n.smtpAddr, err)
	}
	srv := &emailServer{host: host, port: port}
	switch {
	case user != "" && pass == "":
		return nil, errors.New("--smtp-username needs --smtp-password (STAYGRAPH_SMTP_PASSWORD)")
	case user == "" && pass != "":
		return nil, errors.New("--smtp-password needs --smtp-username")
	case user != "":
		srv.opts.Auth = smtp.PlainAuth("", user, pass, host)
	}
	if *n.smtpCAFile != "" {
		pemBytes, err := os.ReadFile(*n.smtpCAFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--smtp-ca-file %s: no PEM certificate in it", *n.smtpCAFile)
		}
		srv.opts.TLSConfig = &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return srv, nil
}

// notifications builds the notification service from the configured
// channels (email first, SMS as its fallback) and connects it to the booking
// core. With no channel configured, guests are not notified.
func notifications(n notifyFlags, pool *pgxpool.Pool, bookings *booking.Service, jobs *river.Client[pgx.Tx], workers *river.Workers, log *slog.Logger) error {
	registry := notify.NewRegistry()
	var route []string
	srv, err := n.email()
	if err != nil {
		return err
	}
	if srv != nil {
		ch, err := email.New(srv.host, srv.port, *n.smtpFrom, srv.opts)
		if err != nil {
			return err
		}
		registry.Register(ch)
		route = append(route, ch.Name())
		// The user name is no secret; the password is never logged.
		log.Info("guest emails", "smtp", *n.smtpAddr, "username", *n.smtpUsername)
	}
	ch, err := n.sms()
	if err != nil {
		return err
	}
	if ch != nil {
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
