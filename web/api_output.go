package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/sqlstore"
)

// outputRoutes registers the output check (出域核查) and filing (备案): rule
// sets (R23.1), products and their checks, reviews, filing and release
// (R17.1, R23.2), deliveries with fingerprints, attribution and lineage
// (R27.1), and the public list of released products.
func (s *Server) outputRoutes() {
	o := &outputAPI{s: s, svc: NewOutputService(s.db, s.vault, s.ws)}
	s.handle("GET", "/api/v1/output/rules", o.rules)
	s.handle("POST", "/api/v1/output/rules", o.proposeRules)
	s.handle("POST", "/api/v1/output/rules/{version}/approve", o.approveRules)
	s.handle("GET", "/api/v1/products", o.list)
	s.handle("POST", "/api/v1/products", o.create)
	s.handle("GET", "/api/v1/products/{id}", o.get)
	s.handle("PUT", "/api/v1/products/{id}", o.update)
	s.handle("POST", "/api/v1/products/{id}/tables", o.addTable)
	s.handle("PUT", "/api/v1/products/{id}/report", o.putReport)
	s.handle("GET", "/api/v1/products/{id}/report", o.getReport)
	s.handle("POST", "/api/v1/products/{id}/request", o.request)
	s.handle("POST", "/api/v1/products/{id}/revise", o.revise)
	s.handle("POST", "/api/v1/products/{id}/reviews", o.review)
	s.handle("POST", "/api/v1/products/{id}/second-review", o.second)
	s.handle("POST", "/api/v1/products/{id}/filing", o.file)
	s.handle("POST", "/api/v1/products/{id}/release", o.release)
	s.handle("GET", "/api/v1/products/{id}/download", o.download)
	s.handle("GET", "/api/v1/products/{id}/deliveries", o.deliveries)
	s.handle("POST", "/api/v1/products/{id}/attribution", o.attribute)
	s.handle("GET", "/api/v1/products/{id}/lineage", o.lineage)
	s.handle("GET", "/api/v1/lineage/entries/{id}", o.entryLineage)
	s.handle("GET", "/api/v1/public/products", o.public)
	o.pages()
}

type outputAPI struct {
	s   *Server
	svc *OutputService
}

func (o *outputAPI) rules(w http.ResponseWriter, r *http.Request) error {
	a, err := o.s.actor(r)
	if err != nil {
		return err
	}
	list, err := o.s.db.OutputRuleSets(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

func (o *outputAPI) proposeRules(w http.ResponseWriter, r *http.Request) error {
	a, err := o.s.actor(r)
	if err != nil {
		return err
	}
	var in struct {
		Rules json.RawMessage `json:"rules"`
		Note  string          `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := shuyu.Authorize(a, shuyu.ActOutRulesPropose, shuyu.Resource{Kind: "outrules"}); err != nil {
		return err
	}
	rs, err := outputParseRules(in.Rules)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(rs)
	out, err := o.s.db.ProposeOutputRules(r.Context(), a, b, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// outputParseRules reads a rule set strictly and validates it with the
// engine (R23.1): what the authority approves is what the engine runs.
func outputParseRules(raw json.RawMessage) (outcheck.RuleSet, error) {
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

func (o *outputAPI) approveRules(w http.ResponseWriter, r *http.Request) error {
	a, err := o.s.actor(r)
	if err != nil {
		return err
	}
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v <= 0 {
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	out, err := o.s.db.ApproveOutputRules(r.Context(), a, v, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(r, v)
}

func (o *outputAPI) target(r *http.Request) (*shuyu.Actor, int64, error) {
	a, err := o.s.actor(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return a, id, err
}

func (o *outputAPI) list(w http.ResponseWriter, r *http.Request) error {
	a, err := o.s.actor(r)
	if err != nil {
		return err
	}
	st := r.URL.Query().Get("status")
	if _, ok := shuyu.ProductMachine.Table[st]; st != "" && !ok && st != shuyu.ProductReleased {
		return shuyu.Errorf(shuyu.EINVALID, "状态参数有误 (bad status)")
	}
	items, err := o.s.db.Products(r.Context(), a, st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(items))
	return nil
}

func (o *outputAPI) create(w http.ResponseWriter, r *http.Request) error {
	a, err := o.s.actor(r)
	if err != nil {
		return err
	}
	var in shuyu.ProductInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := o.s.db.CreateProduct(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// productDetail is a product with its checks and reviews.
type productDetail struct {
	*shuyu.Product
	*sqlstore.ProductHistory
}

func (o *outputAPI) get(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	p, err := o.s.db.Product(r.Context(), a, id)
	if err != nil {
		return err
	}
	h, err := o.s.db.ProductHistory(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, productDetail{p, h})
	return nil
}

func (o *outputAPI) update(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	var in shuyu.ProductInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := o.s.db.UpdateProduct(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (o *outputAPI) addTable(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	var in TableSpec
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := o.svc.AddFromQuery(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// putReport takes the report PDF as the raw body (Content-Type
// application/pdf), capped and sniffed by the store.
func (o *outputAPI) putReport(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	if _, err := o.s.db.ProductFor(r.Context(), a, shuyu.ActProductCreate, id); err != nil {
		return err
	}
	data, err := outputUpload(w, r, sqlstore.MaxReportBytes)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	p, err := o.s.db.SetProductReport(r.Context(), a, id, r.URL.Query().Get("name"), data, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// outputReadBody reads a raw upload, refusing it past max (invariant 5).
func outputReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	tooLarge := shuyu.Errorf(shuyu.ETOOLARGE, "上传文件超过 %d MB 上限 (upload too large)", max>>20)
	if r.ContentLength > max {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(http.MaxBytesReader(w, r.Body, max+1), max+1))
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return nil, tooLarge
		}
		return nil, shuyu.Errorf(shuyu.EINVALID, "上传中断 (upload interrupted)")
	}
	if int64(len(data)) > max {
		return nil, tooLarge
	}
	if len(data) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "上传的文件是空的 (empty upload)")
	}
	return data, nil
}

// getReport serves the report file: to the merchant, reviewers, the
// authority and regulators for the check; to anyone else only as a
// delivery of a released product (R23.2).
func (o *outputAPI) getReport(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	p, err := o.s.db.Product(r.Context(), a, id)
	if err != nil {
		return err
	}
	inside := a.OrgID == p.OrgID || a.Has(shuyu.RoleOperatorReviewer) || a.Has(shuyu.RoleAuthority) || a.Has(shuyu.RoleRegulator)
	if !inside {
		if _, err := o.s.db.DeliverableProduct(r.Context(), a, id); err != nil {
			return err
		}
	}
	name, data, err := o.s.db.ProductReportContent(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}
