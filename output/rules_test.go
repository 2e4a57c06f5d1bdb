package output

import (
	"context"
	"encoding/json"
	"testing"

	"shuyu"
)

// Rules are read strictly and validated by the engine that will run them
// (R23.1): unknown fields, malformed JSON and out-of-range values are
// refused with field details.
func TestParseRules_R23_1_StrictAndValidated(t *testing.T) {
	rs, err := ParseRules(json.RawMessage(`{"K": 10, "QuasiColumns": {"*": ["gender", "county"]}}`))
	if err != nil || rs.K != 10 || rs.Version != 1 {
		t.Fatalf("good rules: %+v %v", rs, err)
	}
	for _, raw := range []string{``, `{`, `[]`, `{"K": 10, "Bogus": 1}`, `{"K": 1}`} {
		if _, err := ParseRules(json.RawMessage(raw)); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Errorf("%q: %v (want EINVALID)", raw, err)
		}
	}
}

// Only those the policy lets propose rules get as far as the rules: a
// merchant is refused before its rules are read (R23.1).
func TestProposeRules_R23_1_AuthorizedFirst(t *testing.T) {
	s := New(nil, nil, nil)
	m := &shuyu.Actor{UserID: 1, OrgID: 1, Roles: []shuyu.Role{shuyu.RoleMerchant}}
	if _, err := s.ProposeRules(context.Background(), m, json.RawMessage(`{`), ""); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
		t.Fatalf("merchant: %v (want EFORBIDDEN)", err)
	}
}
