package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Requests of an acting service provider (R6.3). DB.ActFor is the one place
// an actor with Acting is made — every page and API request of a provider
// acting for a merchant passes through it (web/provider_api.go
// actingSession), and no handler can build one itself — so it is where each
// such request is recorded: who (the provider's user and organization), on
// whose behalf (the merchant, the delegation) and what (method and path
// with the query). ActFor returns the actor only after the record has
// committed, so no request is served — read or write, answered or refused
// by the policy later — without a durable record of it; a failure to record
// refuses the request.
//
// Reads are frequent, so the records are group-committed: requests that
// arrive while a batch is being written wait for the next one, which takes
// all of them (up to maxReadBatch) in one transaction and one fsync. The
// rows are append-only (nothing updates or deletes them) and are not audit
// events: they are not in the SM3 chain and do not need the audit head, so
// they never wait behind, or hold up, the writes that decide things.

// ActingRequest is what an acting provider asked for.
type ActingRequest struct {
	Method    string
	Path      string // with the query
	RequestID string
}

// ProviderRead is one recorded request of an acting provider.
type ProviderRead struct {
	ID           int64     `json:"id"`
	DelegationID int64     `json:"delegation_id"`
	MerchantOrg  int64     `json:"merchant_org_id"`
	MerchantName string    `json:"merchant_name"`
	ProviderOrg  int64     `json:"provider_org_id"`
	ProviderName string    `json:"provider_name"`
	User         string    `json:"user"` // the provider's account
	At           time.Time `json:"at"`
	Method       string    `json:"method"`
	Path         string    `json:"path"`
	RequestID    string    `json:"request_id,omitempty"`
}

// Write reports whether the request could change something (not GET/HEAD).
func (p *ProviderRead) Write() bool { return p.Method != "GET" && p.Method != "HEAD" }

const maxReadBatch = 512

// readGather is how long a batch waits for more requests before it is
// written (docs/performance.md §13).
const readGather = 500 * time.Microsecond

type pendingRead struct {
	delegation, merchant, provider, user int64
	req                                  ActingRequest
	err                                  error
	done                                 chan struct{}
}

// readQueue holds the requests waiting for the next batch.
type readQueue struct {
	mu      sync.Mutex
	pending []*pendingRead
	running bool
	batches atomic.Int64
	rows    atomic.Int64
}

// ProviderReadBatches reports how many batches wrote how many request
// records since the store was opened (tests and the benchmark).
func (d *DB) ProviderReadBatches() (batches, rows int64) {
	return d.readq.batches.Load(), d.readq.rows.Load()
}

// recordActing queues the record and waits until its batch committed.
func (d *DB) recordActing(ctx context.Context, a *shuyu.Actor, req ActingRequest) error {
	req.Method = strings.ToUpper(strings.TrimSpace(req.Method))
	if req.Method == "" {
		req.Method = "GET"
	}
	if utf8.RuneCountInString(req.Path) > 500 {
		req.Path = string([]rune(req.Path)[:500])
	}
	if !utf8.ValidString(req.Path) {
		req.Path = strings.ToValidUTF8(req.Path, "?")
	}
	p := &pendingRead{delegation: a.Acting.DelegationID, merchant: a.Acting.MerchantOrgID, provider: a.Acting.ProviderOrgID,
		user: a.UserID, req: req, done: make(chan struct{})}
	q := &d.readq
	q.mu.Lock()
	q.pending = append(q.pending, p)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go d.writeReads()
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		// The batch may still commit the record; the request is refused either way.
		return ctx.Err()
	}
}

func (d *DB) writeReads() {
	q := &d.readq
	for {
		// Let the requests already on their way join this batch: a short
		// wait costs each far less than a commit of its own (a lone
		// request pays it too; docs/performance.md §13).
		time.Sleep(readGather)
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		n := min(len(q.pending), maxReadBatch)
		batch := slices.Clone(q.pending[:n])
		q.pending = slices.Delete(q.pending, 0, n)
		q.mu.Unlock()
		err := d.writeReadBatch(batch)
		q.batches.Add(1)
		q.rows.Add(int64(len(batch)))
		for _, p := range batch {
			p.err = err
			close(p.done)
		}
	}
}

// writeReadBatch inserts the batch in one transaction (one statement per
// 100 rows), not bound to any caller's context.
func (d *DB) writeReadBatch(batch []*pendingRead) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlstore: provider reads: panic: %v", r)
		}
	}()
	ctx := context.Background()
	done, err := d.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: provider reads: %w", err)
	}
	defer tx.Rollback()
	now := micros(d.now())
	for chunk := range slices.Chunk(batch, 100) {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO provider_reads (delegation_id, merchant_org, provider_org, user_id, at, method, path, request_id) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, p := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, p.delegation, p.merchant, p.provider, p.user, now, p.req.Method, p.req.Path, p.req.RequestID)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(sb.String()), args...); err != nil {
			return fmt.Errorf("sqlstore: provider reads: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: provider reads: %w", err)
	}
	return nil
}

// ProviderActivity lists the recorded requests of acting providers the
// actor may see, newest first (at most limit, 1..5000): a merchant those
// made on its behalf, a provider those its accounts made, the operator, the
// authority and the regulators all — the readers of the delegations
// (delegation.read). delegation > 0 keeps one delegation's.
func (d *DB) ProviderActivity(ctx context.Context, actor *shuyu.Actor, delegation int64, limit int) ([]*ProviderRead, error) {
	if err := shuyu.Authorize(actor, shuyu.ActDelegationRead, shuyu.Resource{Kind: "delegation"}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	// May the actor read a delegation between two organizations not its own?
	all := shuyu.Can(actor, shuyu.ActDelegationRead, shuyu.Resource{Kind: "delegation", OrgID: -1, Parties: []int64{-1}, Exists: true})
	out := []*ProviderRead{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT r.id, r.delegation_id, r.merchant_org, m.name, r.provider_org, p.name, coalesce(u.username, ''), r.at,
			r.method, r.path, r.request_id FROM provider_reads r JOIN orgs m ON m.id = r.merchant_org JOIN orgs p ON p.id = r.provider_org
			LEFT JOIN users u ON u.id = r.user_id
			WHERE (? OR r.merchant_org = ? OR r.provider_org = ?) AND (? = 0 OR r.delegation_id = ?)
			ORDER BY r.at DESC, r.id DESC LIMIT ?`, all, actor.OrgID, actor.OrgID, delegation, delegation, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x ProviderRead
			var at int64
			if err := rows.Scan(&x.ID, &x.DelegationID, &x.MerchantOrg, &x.MerchantName, &x.ProviderOrg, &x.ProviderName, &x.User, &at,
				&x.Method, &x.Path, &x.RequestID); err != nil {
				return err
			}
			x.At = fromMicros(at)
			// The policy decides each row, as for the delegation itself.
			if shuyu.Can(actor, shuyu.ActDelegationRead, shuyu.Resource{Kind: "delegation", OrgID: x.MerchantOrg, Parties: []int64{x.ProviderOrg}, Exists: true}) {
				out = append(out, &x)
			}
		}
		return rows.Err()
	})
	return out, err
}
