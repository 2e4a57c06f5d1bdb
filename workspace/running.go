package workspace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/sandbox"
	"shuyu/sqlstore"
)

// Every real-data query, from the moment it asks for a slot until it is
// recorded, is in the service's registry of running queries: the operator
// and the authority (shuyu.ActQueryOversee) see which workspace, whose, what
// SQL, since when, and may cancel it with a reason, which is audited. The
// merchant then gets one uniform outcome, recorded in its history like any
// rejection: "查询已被运营机构取消".

// RunningQuery is one real-data query waiting for a slot or running.
type RunningQuery struct {
	Token         string     `json:"token"` // random; names the query for cancelling
	WorkspaceID   int64      `json:"workspace_id"`
	WorkspaceName string     `json:"workspace_name"`
	OrgID         int64      `json:"org_id"`
	OrgName       string     `json:"org_name"`
	UserID        int64      `json:"user_id"`
	Username      string     `json:"username"`
	SQL           string     `json:"sql"`     // the merchant's own text; the overseer may read it
	SQLHash       string     `json:"sql_sm3"` // SM3 of the text, as in the audit trail
	State         string     `json:"state"`   // queued, running, cancelling
	QueuedAt      time.Time  `json:"queued_at"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	Seconds       float64    `json:"elapsed_seconds"` // since queued
}

// States of a running query.
const (
	StateQueued     = "queued"
	StateRunning    = "running"
	StateCancelling = "cancelling"
)

// entry is a registered query: its public view and its cancel function.
type entry struct {
	RunningQuery
	cancel context.CancelCauseFunc
}

// registry holds the running queries; its zero value is ready.
type registry struct {
	mu sync.Mutex
	m  map[string]*entry
}

func (r *registry) add(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*entry{}
	}
	r.m[e.Token] = e
}

func (r *registry) remove(token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, token)
}

func (r *registry) started(token string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.m[token]; e != nil && e.State == StateQueued {
		e.State, e.StartedAt = StateRunning, &at
	}
}

// governor is the service's cost control; its zero value is ready.
type governor struct {
	sched    scheduler
	running  registry
	quotaMu  sync.Mutex
	quotaWS  map[int64]*sync.Mutex // per workspace: count, check and reserve one step
	inflight map[int64]int         // withheld results reserved by running queries
	numbered map[int64]bool        // workspaces whose result numbers were read from the store
}

type ticketKey struct{}

// queryToken returns the token of the registered query ctx belongs to, or "".
func queryToken(ctx context.Context) string {
	t, _ := ctx.Value(ticketKey{}).(string)
	return t
}

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sm3Hex(s string) string {
	sum := sm3.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Causes of a query's end that are not its own doing.
var (
	errOverseerCancel = errors.New("workspace: query cancelled by an overseer")
	errBudget         = errors.New("workspace: query time budget exceeded")
)

// Reasons recorded for queries refused or ended from outside.
const (
	reasonCancelled   = "cancelled"
	reasonQuota       = "withheld_quota"
	msgCancelled      = "查询已被运营机构取消 (query cancelled by the operator)"
	msgQuotaPrefix    = "明细结果表已达上限"
	defaultReasonCode = "execution"
)

func errCancelled() error { return shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s", msgCancelled) }

// interrupted gives a query that an overseer cancelled one uniform outcome,
// whatever the engine was doing at that moment (and whatever it said). A
// query that ran out of its time budget keeps the engine's uniform failure
// outcome: telling a timeout apart from other failures while running could
// depend on data (docs/disclosure.md, "Outcome oracles"); an error the
// engine could not turn into that outcome (the budget ended before it ran)
// becomes it.
func interrupted(ctx context.Context, res *sandbox.Result, err error) (*sandbox.Result, error) {
	if ctx.Err() == nil {
		return res, err
	}
	switch context.Cause(ctx) {
	case errOverseerCancel:
		if err != nil || res == nil || res.Status != sandbox.Released && res.Status != sandbox.Withheld {
			return nil, errCancelled()
		}
	case errBudget:
		if err != nil {
			return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s", sandbox.ExecutionFailed.Message)
		}
	}
	return res, err
}

// reasonCode names the rule behind a failed query's reason.
func reasonCode(err error) string {
	msg := shuyu.ErrorMessage(err)
	switch {
	case msg == msgCancelled:
		return reasonCancelled
	case strings.HasPrefix(msg, msgQuotaPrefix):
		return reasonQuota
	}
	return defaultReasonCode
}

// admitReal runs a real-data query under the cost limits: registered,
// queued for a slot, then run by queryReal under its time budget and the
// workspace's withheld-result quota.
// errProviderRealData: a provider acting for a merchant without the
// operator's confirmation that the merchant's agreement allows it.
var errProviderRealData = shuyu.Errorf(shuyu.EFORBIDDEN, "服务机构受托只能使用仿真数据；使用真实数据须数据商的开发利用协议允许并经运营机构确认 (providers use simulated data only, R6.3)")

func (s *Service) admitReal(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string) (*Result, error) {
	if !actor.RealDataAllowed() { // R6.3: providers work on simulated data, refused before the domain or the cache
		return nil, errProviderRealData
	}
	if s.Vault == nil {
		return s.queryReal(ctx, actor, ws, sqlText) // answers that the domain is not available
	}
	// A question already answered on this view is answered again without
	// the domain, so it never queues behind heavy queries (answercache.go).
	if res, ok, err := s.cachedReal(ctx, actor, ws, sqlText); err != nil || ok {
		return res, err
	}
	g := &s.gov
	qctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e := &entry{RunningQuery: RunningQuery{Token: newToken(), WorkspaceID: ws.ID, WorkspaceName: ws.Name, OrgID: ws.OrgID,
		OrgName: ws.OrgName, UserID: actor.UserID, Username: actor.Username, SQL: sqlText, SQLHash: sm3Hex(sqlText),
		State: StateQueued, QueuedAt: time.Now()}, cancel: cancel}
	qctx = context.WithValue(qctx, ticketKey{}, e.Token)
	g.running.add(e)
	defer g.running.remove(e.Token)
	defer s.releases.done(e.Token)

	release, err := g.sched.acquireFor(qctx, ws.ID, ws.OrgID, s.Limits)
	if err != nil {
		if context.Cause(qctx) == errOverseerCancel {
			return s.recordRefused(ctx, actor, ws, sqlText, errCancelled())
		}
		if ctx.Err() != nil { // the client went away while waiting
			return nil, shuyu.Errorf(shuyu.ECONFLICT, "查询在排队时已被取消 (request cancelled while queued)")
		}
		return nil, err
	}
	defer release()
	g.running.started(e.Token, time.Now())

	bctx, bcancel := context.WithTimeoutCause(qctx, s.timeout(), errBudget)
	defer bcancel()
	// failed answers an error; one caused by a cancel or the budget ending
	// before the engine could answer becomes the uniform outcome, recorded.
	failed := func(err error) (*Result, error) {
		if bctx.Err() != nil {
			if _, ierr := interrupted(bctx, nil, err); ierr != err {
				return s.recordRefused(ctx, actor, ws, sqlText, ierr)
			}
		}
		return nil, err
	}
	if err := s.reserveNames(bctx, ws.ID); err != nil {
		return failed(err)
	}
	if why, err := s.overQuota(bctx, actor, ws, sqlText); err != nil {
		return failed(err)
	} else if why != nil {
		return s.recordRefused(ctx, actor, ws, sqlText, why)
	}
	gate, unreserve := s.withheldGate(bctx, ws.ID)
	defer unreserve()
	res, err := s.queryReal(sandbox.WithWithheldGate(bctx, gate), actor, ws, sqlText)
	if err != nil {
		return failed(err)
	}
	return res, nil
}

// recordRefused records a query refused or ended without running (over the
// withheld quota, cancelled while queued, or before the engine ran) as
// rejected with the uniform reason.
func (s *Service) recordRefused(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string, why error) (*Result, error) {
	code := reasonCode(why)
	q := &shuyu.WorkspaceQuery{WorkspaceID: ws.ID, SQL: sqlText, Data: shuyu.DataReal, Status: string(sandbox.Rejected),
		Reasons: []shuyu.QueryReason{{Code: code, Message: shuyu.ErrorMessage(why)}}, Rules: []string{code}}
	if err := s.DB.RecordWorkspaceQuery(context.WithoutCancel(ctx), actor, q, nil, nil); err != nil {
		return nil, err
	}
	return finish(&Result{Data: shuyu.DataReal, Columns: []string{}, Rows: [][]any{}}, q), nil
}

// RunningQueries lists the real-data queries queued or running in this
// process, oldest first, for an overseer (shuyu.ActQueryOversee).
func (s *Service) RunningQueries(ctx context.Context, actor *shuyu.Actor) ([]RunningQuery, error) {
	if err := shuyu.Authorize(actor, shuyu.ActQueryOversee, shuyu.Resource{Kind: "query"}); err != nil {
		return nil, err
	}
	r := &s.gov.running
	now := time.Now()
	r.mu.Lock()
	out := make([]RunningQuery, 0, len(r.m))
	for _, e := range r.m {
		q := e.RunningQuery
		q.Seconds = now.Sub(q.QueuedAt).Seconds()
		out = append(out, q)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b RunningQuery) int {
		if c := a.QueuedAt.Compare(b.QueuedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Token, b.Token)
	})
	return out, nil
}

// CancelQuery cancels a queued or running real-data query for an overseer.
// The cancellation, with who and why, is audited before the query is
// stopped (R27.1); the merchant gets the uniform "cancelled" outcome. A
// query that has already ended answers ENOTFOUND.
func (s *Service) CancelQuery(ctx context.Context, actor *shuyu.Actor, token, reason string) (*RunningQuery, error) {
	if err := shuyu.Authorize(actor, shuyu.ActQueryOversee, shuyu.Resource{Kind: "query"}); err != nil {
		return nil, err
	}
	r := &s.gov.running
	r.mu.Lock()
	e := r.m[token]
	var q RunningQuery
	if e != nil {
		q = e.RunningQuery
	}
	r.mu.Unlock()
	if e == nil || q.State == StateCancelling {
		return nil, shuyu.Errorf(shuyu.ENOTFOUND, "查询不存在或已结束 (no such running query)")
	}
	at := q.QueuedAt
	if q.StartedAt != nil {
		at = *q.StartedAt
	}
	if err := s.DB.RecordQueryCancel(ctx, actor, sqlstore.QueryCancel{Token: token, WorkspaceID: q.WorkspaceID, OrgID: q.OrgID,
		UserID: q.UserID, Username: q.Username, SQLHash: q.SQLHash, State: q.State, StartedAt: at, Reason: reason}); err != nil {
		return nil, err
	}
	r.mu.Lock()
	e.State = StateCancelling
	q = e.RunningQuery
	r.mu.Unlock()
	e.cancel(errOverseerCancel)
	return &q, nil
}
