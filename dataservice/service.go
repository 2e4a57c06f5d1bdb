// Package dataservice runs API-service products (数据接口服务, R28.4) and
// data-subject authorization (R28.5): a merchant's parameterised template
// is compiled against its workspace's column policies (package sandbox),
// examined by the output check (package outcheck), filed by the authority
// (the store), and called by consumers with keys; every call is validated
// here, authenticated, limited, consent-gated, run inside the domain and
// recorded by the store in one transaction (sqlstore.DB.ServiceCall).
// docs/disclosure.md, "API services", says what this does and does not
// protect.
package dataservice

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
	"shuyu/ident"
	"shuyu/outcheck"
	"shuyu/sandbox"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// Service is the API-service layer of one server.
type Service struct {
	DB       *sqlstore.DB
	Vault    *vault.Domain // nil: calls answer EUNAVAILABLE
	WS       *workspace.Service
	Engine   *sandbox.Engine
	Verifier Verifier
	Limits   outcheck.TemplateLimits
	Now      func() time.Time

	mu       sync.Mutex
	compiled map[int64]*sandbox.Service // filed templates never change
	keys     map[[32]byte]int64         // SM3 of keys seen valid → their service (memory only)
	defs     map[int64]*shuyu.APIService
}

// New returns the service layer over the store, the domain and the
// workspace service (whose engine it shares).
func New(db *sqlstore.DB, v *vault.Domain, ws *workspace.Service, verifier Verifier, now func() time.Time) *Service {
	return &Service{DB: db, Vault: v, WS: ws, Engine: ws.Engine, Verifier: verifier, Limits: outcheck.DefaultTemplateLimits,
		Now: now, compiled: map[int64]*sandbox.Service{}, keys: map[[32]byte]int64{}, defs: map[int64]*shuyu.APIService{}}
}

// compile checks the template against the workspace's granted tables and
// returns the entries it reads.
func (s *Service) compile(ctx context.Context, ws *shuyu.Workspace, tpl *shuyu.ServiceTemplate) (*sandbox.Service, []int64, error) {
	tables, entries, err := s.WS.GrantedTables(ctx, ws)
	if err != nil {
		return nil, nil, err
	}
	c, err := sandbox.CompileService(tables, tpl)
	if err != nil {
		return nil, nil, err
	}
	seen := map[int64]bool{}
	var sources []int64
	for _, o := range tpl.Outputs {
		if e := entries[strings.ToLower(o.Table)]; e != 0 && !seen[e] {
			seen[e] = true
			sources = append(sources, e)
		}
	}
	return c, sources, nil
}

// Define records a service in one of the actor's workspaces after its
// template passed the column rules.
func (s *Service) Define(ctx context.Context, actor *shuyu.Actor, in shuyu.APIServiceInput) (*shuyu.APIService, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ws, err := s.DB.WorkspaceFor(ctx, actor, shuyu.ActWorkspaceRead, in.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if err := consentWorkspaceRule(ws, in.Consent); err != nil {
		return nil, err
	}
	_, sources, err := s.compile(ctx, ws, &in.Template)
	if err != nil {
		return nil, err
	}
	return s.DB.CreateService(ctx, actor, in, sources)
}

// consentWorkspaceRule: a service in a workspace opened by consent answers
// only about subjects with a live grant (R28.5). Its template reads the
// granted tables whole, so without the per-call consent gate it would
// answer about anyone the workspace's own queries cannot see.
func consentWorkspaceRule(ws *shuyu.Workspace, consent bool) error {
	if ws.ByConsent && !consent {
		return shuyu.Errorf(shuyu.EINVALID, "按授权使用的工作区中的服务须设为需本人授权 (services of a consent-gated workspace need consent)").
			WithDetails([]shuyu.FieldError{{Field: "consent", Message: "按授权使用的工作区只能定义需本人授权的服务"}})
	}
	return nil
}

// Request runs the output check of the template (R28.4) and records it:
// the column rules again (grants may have changed) and what an answer can
// reveal.
func (s *Service) Request(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.APIService, error) {
	svc, err := s.DB.ServiceFor(ctx, actor, shuyu.ActServiceRequest, id)
	if err != nil {
		return nil, err
	}
	ws, err := s.DB.ServiceWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	in := shuyu.APIServiceInput{WorkspaceID: svc.WorkspaceID, Name: svc.Name, Description: svc.Description, Scenario: svc.Scenario,
		Template: svc.Template, Consent: svc.Consent, QuotaDay: svc.QuotaDay, RateMinute: svc.RateMinute, SubjectDay: svc.SubjectDay}
	rep := outcheck.CheckTemplate(&in, s.Limits)
	if err := consentWorkspaceRule(ws, svc.Consent); err != nil {
		rep.Passed = false
		rep.Checks = append(rep.Checks, outcheck.TemplateCheck{Code: "consent_workspace", Status: outcheck.Fail, Message: shuyu.ErrorMessage(err)})
	}
	if _, _, err := s.compile(ctx, ws, &svc.Template); err != nil {
		rep.Passed = false
		rep.Checks = append(rep.Checks, outcheck.TemplateCheck{Code: "column_rules", Status: outcheck.Fail, Message: shuyu.ErrorMessage(err)})
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return s.DB.RecordServiceCheck(ctx, actor, id, rep.Passed, b)
}

// Answer is what a caller receives: the filed schema's fields and nothing
// else, plus the call's number for its own records.
type Answer struct {
	Service int64          `json:"service_id"`
	CallID  int64          `json:"call_id"`
	Answer  map[string]any `json:"answer"`
}

// Call answers one call. Bad parameters are refused before anything else
// (no key lookup, no engine call); then the store authenticates, limits,
// gates and records the call around the engine's answer.
func (s *Service) Call(ctx context.Context, token string, id int64, params map[string]string) (*Answer, error) {
	svc, err := s.filed(ctx, id)
	if err != nil {
		return nil, err
	}
	norm, err := ValidateParams(&svc.Template, params, s.Now())
	if err != nil {
		return nil, err
	}
	if s.Vault == nil {
		return nil, shuyu.Errorf(shuyu.EUNAVAILABLE, "数据域未启用 (data domain not available)")
	}
	// The key is checked before the engine runs, so a caller without a
	// valid key costs no engine work; the call's transaction checks it again
	// with everything else.
	if err := s.keyFor(ctx, token, id); err != nil {
		return nil, err
	}
	// The answer is computed outside the store's write transaction, so
	// calls run the engine in parallel and hold the store's lock only to
	// check and record; it leaves only if the transaction — key, limits,
	// suspension, consent, all checked again — commits with its record.
	c, err := s.compiled1(ctx, svc)
	if err != nil {
		return nil, err
	}
	// The subject's rows are found by a key index on the current version
	// (built at the first call after a switch). A failure to build one
	// costs speed only, never the answer: the statement is the same.
	for _, k := range c.Keys {
		_, _ = s.Vault.KeyIndex(ctx, k.Source, k.Column)
	}
	conn, err := s.Vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	ans, err := s.Engine.Answer(ctx, conn, c, norm)
	conn.Close()
	if err != nil {
		return nil, err
	}
	call, err := s.DB.ServiceCall(ctx, sqlstore.CallRequest{Token: token, ServiceID: id, Subject: norm[svc.Template.Subject], Params: norm},
		func(*shuyu.APIService) ([]string, bool, error) { return ans.Names, ans.Hit, nil })
	if err != nil {
		return nil, err
	}
	out := &Answer{Service: id, CallID: call.ID, Answer: make(map[string]any, len(ans.Names))}
	for i, n := range ans.Names {
		out.Answer[n] = ans.Values[i]
	}
	return out, nil
}

// filed returns a filed service's definition for parameter checking (the
// call's transaction checks its state again); a filed template never
// changes, so it is read once.
func (s *Service) filed(ctx context.Context, id int64) (*shuyu.APIService, error) {
	s.mu.Lock()
	svc := s.defs[id]
	s.mu.Unlock()
	if svc != nil {
		return svc, nil
	}
	svc, err := s.DB.FiledService(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.defs[id] = svc
	s.mu.Unlock()
	return svc, nil
}

func (s *Service) compiled1(ctx context.Context, svc *shuyu.APIService) (*sandbox.Service, error) {
	s.mu.Lock()
	c := s.compiled[svc.ID]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	ws, err := s.DB.ServiceWorkspace(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	c, _, err = s.compile(ctx, ws, &svc.Template)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.compiled[svc.ID] = c
	s.mu.Unlock()
	return c, nil
}

// ValidateParams checks and normalizes a call's parameters against the
// template: every declared parameter present and well-formed (citizen IDs
// by GB 11643 and a birth date not in the future, credit codes by GB 32100,
// names, mobiles), nothing undeclared. Refusals name the parameter, never
// echo its value.
func ValidateParams(t *shuyu.ServiceTemplate, params map[string]string, now time.Time) (map[string]string, error) {
	var fe []shuyu.FieldError
	out := make(map[string]string, len(t.Params))
	for name := range params {
		if _, ok := t.Param(name); !ok {
			fe = append(fe, shuyu.FieldError{Field: "params." + name, Message: "不是这项服务的参数"})
		}
	}
	for _, p := range t.Params {
		v, ok := params[p.Name]
		f := "params." + p.Name
		if !ok || strings.TrimSpace(v) == "" {
			fe = append(fe, shuyu.FieldError{Field: f, Message: "缺少参数"})
			continue
		}
		v = strings.TrimSpace(v)
		switch p.Kind {
		case shuyu.ParamCitizenID:
			v = ident.NormalizeCitizenID(v)
			if !ident.ValidCitizenIDAt(v, now) {
				fe = append(fe, shuyu.FieldError{Field: f, Message: "公民身份号码格式或校验位不正确"})
			}
		case shuyu.ParamUSCC:
			v = strings.ToUpper(v)
			if !ident.ValidUSCC(v) {
				fe = append(fe, shuyu.FieldError{Field: f, Message: "统一社会信用代码格式或校验位不正确"})
			}
		case shuyu.ParamMobile:
			m, ok := ident.NormalizeMobile(v)
			if !ok {
				fe = append(fe, shuyu.FieldError{Field: f, Message: "手机号码格式不正确"})
			}
			v = m
		case shuyu.ParamPersonName:
			if !personName(v) {
				fe = append(fe, shuyu.FieldError{Field: f, Message: "姓名须为 2 至 20 个汉字（可含间隔号·）"})
			}
		case shuyu.ParamOrgName:
			if n := utf8.RuneCountInString(v); n < 2 || n > 100 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				fe = append(fe, shuyu.FieldError{Field: f, Message: "名称须为 2 至 100 个字符"})
			}
		}
		out[p.Name] = v
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "调用参数有误 (invalid parameters)").WithDetails(fe)
	}
	return out, nil
}

func personName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 20 {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && r != '·' {
			return false
		}
	}
	return true
}

// oneTimeCode is six random digits.
func oneTimeCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// keyFor refuses a token that is not a key of service id. Keys once seen
// valid are remembered by their SM3 digest (in memory only) so that a call
// costs no extra store read; a key blocked since is refused by the call's
// transaction.
func (s *Service) keyFor(ctx context.Context, token string, id int64) error {
	d := sm3.Sum([]byte(token))
	s.mu.Lock()
	svc, ok := s.keys[d]
	s.mu.Unlock()
	if !ok {
		var err error
		if svc, err = s.DB.ServiceKeyAuth(ctx, token); err != nil {
			return err
		}
		s.mu.Lock()
		s.keys[d] = svc
		s.mu.Unlock()
	}
	if svc != id {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "该密钥不能调用这项服务 (key is for another service)")
	}
	return nil
}
