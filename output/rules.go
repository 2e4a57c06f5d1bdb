package output

import (
	"context"
	"encoding/json"
	"strings"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/sqlstore"
)

// ParseRules reads a rule set strictly and validates it with the engine
// (R23.1): what the authority approves is what the engine runs.
func ParseRules(raw json.RawMessage) (outcheck.RuleSet, error) {
	var rs outcheck.RuleSet
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if len(raw) == 0 || dec.Decode(&rs) != nil {
		return rs, shuyu.Errorf(shuyu.EINVALID, "规则格式有误 (malformed rules)").
			WithDetails([]shuyu.FieldError{{Field: "rules", Message: "须为规则对象"}})
	}
	rs.Version = 1 // numbered by the store
	return rs, rs.Validate()
}

// ProposeRules proposes a new rule set for the authority's approval
// (R23.1): the actor's right first (so a refused actor learns nothing about
// the rules), then the rules as the engine reads them.
func (o *Service) ProposeRules(ctx context.Context, a *shuyu.Actor, raw json.RawMessage, note string) (*sqlstore.OutputRules, error) {
	if err := shuyu.Authorize(a, shuyu.ActOutRulesPropose, shuyu.Resource{Kind: "outrules"}); err != nil {
		return nil, err
	}
	rs, err := ParseRules(raw)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	return o.db.ProposeOutputRules(ctx, a, b, note)
}

// Detail is a product with its checks and reviews, as its API and its page
// read it.
type Detail struct {
	*shuyu.Product
	*sqlstore.ProductHistory
}

// Detail reads a product and its history, each read authorized by the store.
func (o *Service) Detail(ctx context.Context, a *shuyu.Actor, id int64) (*Detail, error) {
	p, err := o.db.Product(ctx, a, id)
	if err != nil {
		return nil, err
	}
	h, err := o.db.ProductHistory(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return &Detail{p, h}, nil
}
