// Package riverclient adapts a river.Client of any driver to the
// driver-independent methods of store.RiverClient; each backend adds the
// reads of River's job table in its own SQL.
package riverclient

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"riverqueue.com/riverui"

	"kigen/store"
)

// Client is a river.Client[TTx] whose transactions are store.Tx values
// (their Driver is a TTx).
type Client[TTx any] struct {
	client    *river.Client[TTx]
	driver    riverdriver.Driver[TTx]
	migration *rivermigrate.Config
}

// New returns a Client on driver, configured by cfg; migrations go to
// cfg.Schema and log to cfg.Logger.
func New[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (*Client[TTx], error) {
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, err
	}
	return &Client[TTx]{client: c, driver: driver,
		migration: &rivermigrate.Config{Logger: cfg.Logger, Schema: cfg.Schema}}, nil
}

// Migrate applies River's migrations.
func (c *Client[TTx]) Migrate(ctx context.Context) error {
	m, err := rivermigrate.New(c.driver, c.migration)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Start starts working jobs.
func (c *Client[TTx]) Start(ctx context.Context) error { return c.client.Start(ctx) }

// Stop stops working jobs gracefully.
func (c *Client[TTx]) Stop(ctx context.Context) error { return c.client.Stop(ctx) }

// StopAndCancel stops at once, cancelling the running jobs.
func (c *Client[TTx]) StopAndCancel(ctx context.Context) error { return c.client.StopAndCancel(ctx) }

// InsertManyTx inserts jobs in the store's transaction tx.
func (c *Client[TTx]) InsertManyTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) error {
	t, err := c.tx(tx)
	if err == nil {
		_, err = c.client.InsertManyTx(ctx, t, params)
	}
	return err
}

// InsertManyFastTx inserts jobs that cannot be duplicates in bulk, in tx.
func (c *Client[TTx]) InsertManyFastTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) error {
	t, err := c.tx(tx)
	if err == nil {
		_, err = c.client.InsertManyFastTx(ctx, t, params)
	}
	return err
}

// tx is the store's transaction as this client's driver type.
func (c *Client[TTx]) tx(tx store.Tx) (TTx, error) {
	t, ok := tx.Driver().(TTx)
	if !ok {
		return t, fmt.Errorf("the store's transaction is a %T, not this River client's %T", tx.Driver(), *new(TTx))
	}
	return t, nil
}

// Insert inserts one job outside any transaction and reports whether it
// did (false: a unique duplicate was there).
func (c *Client[TTx]) Insert(ctx context.Context, args river.JobArgs) (bool, error) {
	res, err := c.client.Insert(ctx, args, nil)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// ParseArgs returns the integers of values (the text of a job argument
// named arg, NULL where a job lacks it), sorted.
func ParseArgs(arg string, values []*string) ([]int64, error) {
	ids := make([]int64, 0, len(values))
	for _, v := range values {
		if v == nil {
			return nil, fmt.Errorf("a job without %s", arg)
		}
		id, err := strconv.ParseInt(*v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("a job with %s %q", arg, *v)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// NewUI returns River UI's handler (riverui) serving under prefix, on a
// River client of driver that works no jobs (River's tables in schema,
// empty for the search_path or on SQLite). A nil logger discards River
// UI's logs.
func NewUI[TTx any](driver riverdriver.Driver[TTx], schema, prefix string, logger *slog.Logger) (*riverui.Handler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c, err := river.NewClient(driver, &river.Config{Logger: logger, Schema: schema})
	if err != nil {
		return nil, err
	}
	return riverui.NewHandler(&riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(c, nil), Logger: logger, Prefix: prefix})
}
