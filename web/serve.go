package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the server Serve runs. Kigen's requests are small (a probe,
// a scrape, a webhook batch of at most a few MB): nothing needs a slow
// client to be waited for long.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 2 * time.Minute
	// ShutdownTimeout is how long Serve lets running requests finish once
	// ctx is done.
	ShutdownTimeout = 10 * time.Second
)

// Serve listens on addr (host:port; callers default it to 127.0.0.1:8080)
// and serves h until ctx is done, then stops taking connections and lets
// the running requests finish, for up to ShutdownTimeout. It returns nil
// after a clean shutdown, the error if it cannot listen or serve, and an
// error if requests were still running when the drain ran out (their
// connections are closed).
//
// It logs "http server listening" with the bound address (which tells the
// port when addr ends in ":0") and "http server stopped".
func Serve(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          serverErrorLog(logger),
	}
	logger.Info("http server listening", slog.String("addr", ln.Addr().String()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		// Serve stopped on its own: the listener failed.
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}

	// Requests keep their own contexts (not ctx), so that the ones running
	// now can finish during the drain.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		logger.Warn("http server", slog.Any("error", serveErr))
	}
	if err != nil {
		_ = srv.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("requests still running after %s", ShutdownTimeout)
		}
		logger.Warn("http server stopped", slog.Any("error", err))
		return fmt.Errorf("web: shutdown: %w", err)
	}
	logger.Info("http server stopped")
	return nil
}
