package workspace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"shuyu"
	"shuyu/sandbox"
)

// Withheld row-level results stay in the domain as workspace tables
// (R4.2). They cost space in the one shared domain, so a workspace keeps at
// most Limits.WithheldQuota of them at once, and each is dropped
// Limits.WithheldTTL after it was made (docs/limits.md).
//
// The quota is checked by the engine through a gate, after the query has
// been checked and found row-level and before its statement runs: the
// decision depends only on how many results the workspace keeps (and how
// many of its running queries have reserved one), never on data.

// withheldExpiry is when a withheld result made at created expires.
func (s *Service) withheldExpiry(created time.Time) *time.Time {
	if created.IsZero() {
		return nil
	}
	t := created.Add(s.Limits.withheldTTL())
	return &t
}

// quotaLock serializes count, check and reserve for one workspace.
func (g *governor) quotaLock(id int64) *sync.Mutex {
	g.quotaMu.Lock()
	defer g.quotaMu.Unlock()
	if g.quotaWS == nil {
		g.quotaWS, g.inflight = map[int64]*sync.Mutex{}, map[int64]int{}
	}
	m := g.quotaWS[id]
	if m == nil {
		m = &sync.Mutex{}
		g.quotaWS[id] = m
	}
	return m
}

// quotaError is the one reason a row-level query over the quota gets: it
// names the limits only.
func (s *Service) quotaError() *shuyu.Error {
	return shuyu.Errorf(shuyu.ECONFLICT, "%s：每个工作区最多保存 %d 个明细结果表，每个保存 %s 后自动删除；请等待到期后再做明细级查询，或改用聚合查询 (withheld result quota reached)",
		msgQuotaPrefix, s.Limits.withheldQuota(), days(s.Limits.withheldTTL()))
}

// overQuota refuses, before anything runs, a row-level query in a
// workspace that already keeps its quota of withheld results (counting
// those its running queries have reserved). The decision depends on that
// count and the query's text only: the query is parsed and checked
// (sandbox.Engine.RowLevel), never run.
func (s *Service) overQuota(ctx context.Context, actor *shuyu.Actor, ws *shuyu.Workspace, sqlText string) (*shuyu.Error, error) {
	g := &s.gov
	n, err := s.DB.WithheldCount(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	g.quotaMu.Lock()
	n += g.inflight[ws.ID]
	g.quotaMu.Unlock()
	if n < s.Limits.withheldQuota() {
		return nil, nil
	}
	sw, _, err := s.sandboxWorkspace(ctx, actor, ws)
	if err != nil {
		return nil, err
	}
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rowLevel, err := s.Engine.RowLevel(ctx, conn, sw, sqlText)
	if err != nil || !rowLevel {
		return nil, err
	}
	return s.quotaError(), nil
}

// withheldGate returns the engine's gate for one query of workspace id and
// the function that gives back its reservation once the query is recorded.
func (s *Service) withheldGate(ctx context.Context, id int64) (func() error, func()) {
	g := &s.gov
	var mu sync.Mutex
	reserved := 0
	gate := func() error {
		l := g.quotaLock(id)
		l.Lock()
		defer l.Unlock()
		n, err := s.DB.WithheldCount(ctx, id)
		if err != nil {
			return err
		}
		quota := s.Limits.withheldQuota()
		g.quotaMu.Lock()
		n += g.inflight[id]
		if n < quota {
			g.inflight[id]++
		}
		g.quotaMu.Unlock()
		if n >= quota {
			return s.quotaError()
		}
		mu.Lock()
		reserved++
		mu.Unlock()
		return nil
	}
	done := func() {
		mu.Lock()
		n := reserved
		reserved = 0
		mu.Unlock()
		if n == 0 {
			return
		}
		g.quotaMu.Lock()
		if g.inflight[id] -= n; g.inflight[id] <= 0 {
			delete(g.inflight, id)
		}
		g.quotaMu.Unlock()
	}
	return gate, done
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	}
	return d.String()
}

// reserveNames tells the engine, once per workspace and process, the
// highest result number the store has ever recorded for it (expired results
// included), so a name is never given twice even after the domain dropped
// the newest result and the process restarted.
func (s *Service) reserveNames(ctx context.Context, id int64) error {
	g := &s.gov
	g.quotaMu.Lock()
	done := g.numbered[id]
	g.quotaMu.Unlock()
	if done {
		return nil
	}
	names, err := s.DB.WithheldNames(ctx, id)
	if err != nil {
		return err
	}
	high := 0
	for _, n := range names {
		if k, ok := sandbox.WithheldSeq(n); ok {
			high = max(high, k)
		}
	}
	s.Engine.ReserveWithheld(engineID(id), high)
	g.quotaMu.Lock()
	if g.numbered == nil {
		g.numbered = map[int64]bool{}
	}
	g.numbered[id] = true
	g.quotaMu.Unlock()
	return nil
}

// ExpiryReport says what one expiry sweep did.
type ExpiryReport struct {
	Dropped int           `json:"dropped"` // withheld results dropped from the domain and marked expired
	Took    time.Duration `json:"took_duration"`
}

// ExpireWithheld drops the withheld results past their retention from the
// domain and marks each expired in the store, audited as the system's act.
// The server runs it with its minute sweep. It is idempotent: a result
// dropped from the domain but not yet marked is dropped again (a no-op) and
// marked by the next run.
func (s *Service) ExpireWithheld(ctx context.Context) (ExpiryReport, error) {
	start := time.Now()
	var rep ExpiryReport
	if s.Vault == nil || s.DB == nil {
		return rep, nil
	}
	ttl := s.Limits.withheldTTL()
	var errs []error
	for {
		due, err := s.DB.DueWithheld(ctx, s.Engine.Now().Add(-ttl), 200)
		if err != nil || len(due) == 0 {
			errs = append(errs, err)
			break
		}
		conn, err := s.Vault.Locked(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		marked := 0
		for _, t := range due {
			if err := s.Engine.DropWithheld(ctx, conn, engineID(t.WorkspaceID), t.Name); err != nil {
				errs = append(errs, fmt.Errorf("workspace %d %s: %w", t.WorkspaceID, t.Name, err))
				continue
			}
			ok, err := s.DB.ExpireWithheld(ctx, shuyu.System, t, ttl)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			marked++
			if ok {
				rep.Dropped++
			}
		}
		conn.Close()
		if marked < len(due) || len(due) < 200 {
			break // failures wait for the next sweep; a short batch was the last
		}
	}
	rep.Took = time.Since(start)
	return rep, errors.Join(errs...)
}
