package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// seedDisclosure publishes last year's annual disclosure (R32.1, NDIS.1)
// as the authority would have by the deadline: the operator generates the
// draft on 20 March from the records of the year (the priced history
// seedMoney wrote), the authority publishes the version it reviewed on
// 25 March. It runs before the server's sweep, so no reminder is sent for
// a year that is already published.
func seedDisclosure(ctx context.Context, db *sqlstore.DB) error {
	year := db.Now().In(cst).Year() - 1
	if _, err := db.Disclosure(ctx, nil, year); err == nil || shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		return err
	}
	op, err := demoActor(ctx, db, "operator-admin")
	if err != nil {
		return fmt.Errorf("demo: disclosure: %w", err)
	}
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return fmt.Errorf("demo: disclosure: %w", err)
	}
	real := db.Now
	defer func() { db.Now = real }()
	at := time.Date(year+1, 3, 20, 10, 0, 0, 0, cst)
	db.Now = func() time.Time { return at }
	d, err := db.GenerateDisclosure(ctx, op, year)
	if err != nil {
		return fmt.Errorf("demo: disclosure %d: %w", year, err)
	}
	at = time.Date(year+1, 3, 25, 15, 30, 0, 0, cst)
	if _, err := db.PublishDisclosure(ctx, auth, year, d.DigestSM3); err != nil {
		return fmt.Errorf("demo: disclosure %d: publish: %w", year, err)
	}
	db.Now = real
	// Anchor the past-dated events in a checkpoint now (as seedMoney does).
	if _, err := db.Checkpoint(ctx, shuyu.System); err != nil {
		return fmt.Errorf("demo: disclosure: checkpoint: %w", err)
	}
	return nil
}
