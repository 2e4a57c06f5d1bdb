package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"shuyu"
	"shuyu/sqlstore"
)

// moneyRoutes: prices, caps, charges, statements, disputes, the year's
// close and the revenue distribution (issue 14; docs/money.md). The public
// price list needs no login (NPRC.5); a merchant reads only its own
// statements (ScopeOrg in the policy). The pages are in money_pages.go.
func (s *Server) moneyRoutes() {
	s.handle("GET", "/api/v1/prices", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]*shuyu.PriceItem, error) {
		return s.db.Prices(ctx)
	}))
	s.handle("GET", "/api/v1/money/prices", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.PriceItem, error) {
		return s.db.PriceCatalogue(ctx, a)
	}))
	s.handle("POST", "/api/v1/money/prices", create(s.actor, s.db.CreatePriceItem))
	s.handle("GET", "/api/v1/money/prices/{id}/history", onObjectList(s.actor, s.db.PriceHistory))
	s.handle("POST", "/api/v1/money/prices/{id}/cap", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in moneyCapInput) (*shuyu.PriceItem, error) {
		return s.db.SetPriceCap(ctx, a, id, in.CapFen, in.TrialUntil, in.Reason)
	}))
	s.handle("POST", "/api/v1/money/prices/{id}/price", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in moneyPriceInput) (*shuyu.PriceItem, error) {
		return s.db.SetPrice(ctx, a, id, in.PriceFen, in.Reason)
	}))
	s.handle("POST", "/api/v1/money/costs", command(s.actor, http.StatusOK, s.db.RecordCost))
	s.handle("POST", "/api/v1/money/allowed", create(s.actor, s.db.ApproveAllowedRevenue))
	s.handle("POST", "/api/v1/money/shares", create(s.actor, s.db.ApproveShare))
	s.handle("GET", "/api/v1/money/years/{id}", onObject(s.actor, func(ctx context.Context, a *shuyu.Actor, year int64) (*sqlstore.YearAccount, error) {
		return s.db.Account(ctx, a, int(year))
	}))
	s.handle("POST", "/api/v1/money/years/{id}/close", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, year int64, _ noBody) (*shuyu.YearClose, error) {
		return s.db.CloseYear(ctx, a, int(year))
	}))
	s.handle("POST", "/api/v1/money/years/{id}/distribution", createOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, year int64, _ noBody) (*shuyu.Distribution, error) {
		return s.db.Distribute(ctx, a, int(year))
	}))
	s.handle("GET", "/api/v1/money/years/{id}/distribution", onObject(s.actor, func(ctx context.Context, a *shuyu.Actor, year int64) (*shuyu.Distribution, error) {
		return s.db.Distribution(ctx, a, int(year))
	}))
	s.handle("POST", "/api/v1/money/charge", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, _ noBody) (*sqlstore.ChargeReport, error) {
		rep, err := s.db.Charge(ctx, a)
		return &rep, err
	}))
	s.handle("POST", "/api/v1/money/usage", create(s.actor, s.db.RecordUsage))
	s.handle("POST", "/api/v1/money/statements", command(s.actor, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, in moneyIssueInput) (*sqlstore.IssueReport, error) {
		rep, err := s.db.IssueStatements(ctx, a, shuyu.Period(in.Period))
		return &rep, err
	}))
	s.handle("POST", "/api/v1/money/workspaces/{id}/purpose", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in moneyPurposeInput) (*noContent, error) {
		return nil, s.db.SetWorkspacePurpose(ctx, a, id, in.Purpose)
	}))
	s.handle("GET", "/api/v1/bills", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Statement, error) {
		org, err := moneyQueryID(q, "org_id")
		if err != nil {
			return nil, err
		}
		return s.db.Bills(ctx, a, org)
	}))
	s.handle("GET", "/api/v1/bills/{id}", onObject(s.actor, s.db.Bill))
	s.handle("GET", "/api/v1/bills/{id}/xlsx", download(s.apiBillXLSX, xlsxType))
	s.handle("POST", "/api/v1/bills/charges/{id}/dispute", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in moneyDisputeInput) (*noContent, error) {
		return nil, s.db.DisputeCharge(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/money/disputes", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.Dispute, error) {
		return s.db.Disputes(ctx, a)
	}))
	s.handle("POST", "/api/v1/money/disputes/{id}/resolve", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in moneyResolveInput) (*noContent, error) {
		return nil, s.db.ResolveDispute(ctx, a, id, in.Outcome, in.Resolution)
	}))
	s.moneyPages()
}

// moneyCapInput is the authority's new cap for an item.
type moneyCapInput struct {
	CapFen     int64  `json:"cap_fen"`
	TrialUntil string `json:"trial_until"`
	Reason     string `json:"reason"`
}

// moneyPriceInput is the operator's price for an item (at most the cap).
type moneyPriceInput struct {
	PriceFen int64  `json:"price_fen"`
	Reason   string `json:"reason"`
}

// moneyIssueInput names the month whose statements to issue.
type moneyIssueInput struct {
	Period string `json:"period"` // YYYY-MM
}

// moneyPurposeInput is the purpose of a workspace opened by hand.
type moneyPurposeInput struct {
	Purpose string `json:"purpose"`
}

// moneyDisputeInput is the merchant's reason.
type moneyDisputeInput struct {
	Reason string `json:"reason"`
}

// moneyResolveInput is the operator's answer to a dispute.
type moneyResolveInput struct {
	Outcome    string `json:"outcome"` // uphold, reject
	Resolution string `json:"resolution"`
}

func moneyQueryID(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, shuyu.Errorf(shuyu.EINVALID, "%s 须为正整数 (%s must be a positive integer)", name, name)
	}
	return n, nil
}

func (s *Server) apiBillXLSX(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeBillXLSX(w, r.Context(), a, id)
}

func (s *Server) writeBillXLSX(w http.ResponseWriter, ctx context.Context, a *shuyu.Actor, id int64) error {
	b, err := s.db.Bill(ctx, a, id)
	if err != nil {
		return err
	}
	data, err := sqlstore.StatementXLSX(b)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("对账单_%s_%s.xlsx", b.OrgName, b.Period)
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", `attachment; filename="statement.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}
