package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/outcheck"
	"shuyu/output"
	"shuyu/sqlstore"
)

// outputRoutes registers the output check (出域核查) and filing (备案): rule
// sets (R23.1), products and their checks, reviews, filing and release
// (R17.1, R23.2), deliveries with fingerprints, attribution and lineage
// (R27.1), and the public list of released products. The work is done by
// the output service (package output) and the store; these handlers only
// adapt HTTP.
func (s *Server) outputRoutes() {
	s.handle("GET", "/api/v1/output/rules", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*sqlstore.OutputRules, error) {
		return s.db.OutputRuleSets(ctx, a)
	}))
	s.handle("POST", "/api/v1/output/rules", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in struct {
		Rules json.RawMessage `json:"rules"`
		Note  string          `json:"note"`
	}) (*sqlstore.OutputRules, error) {
		return s.output.ProposeRules(ctx, a, in.Rules, in.Note)
	}))
	s.handle("POST", "/api/v1/output/rules/{version}/approve", jsonRoute[optionalReason, *sqlstore.OutputRules](http.StatusOK, s.apiOutputRulesApprove))
	s.handle("GET", "/api/v1/products", onCollection(s.actor, s.outputProducts))
	s.handle("POST", "/api/v1/products", create(s.actor, s.db.CreateProduct))
	s.handle("GET", "/api/v1/products/{id}", onObject(s.actor, s.output.Detail))
	s.handle("PUT", "/api/v1/products/{id}", commandOnObject(s.actor, s.db.UpdateProduct))
	s.handle("POST", "/api/v1/products/{id}/tables", createOnObject(s.actor, s.output.AddFromQuery))
	s.handle("PUT", "/api/v1/products/{id}/report", upload[*shuyu.Product](http.StatusOK, s.apiProductPutReport))
	s.handle("GET", "/api/v1/products/{id}/report", download(s.apiProductGetReport, "application/pdf"))
	// request asks for output and answers the product with the automatic
	// check's report (R17.1).
	s.handle("POST", "/api/v1/products/{id}/request", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (productRequested, error) {
		p, rep, err := s.output.Request(ctx, a, id)
		return productRequested{p, rep}, err
	}))
	s.handle("POST", "/api/v1/products/{id}/revise", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.Product, error) {
		return s.db.ReviseProduct(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/products/{id}/reviews", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
		// The filled output checklist, required once a 出域审核规范 is in force (R17.1).
		Checklist []shuyu.ChecklistAnswer `json:"checklist,omitempty"`
	}) (*shuyu.Product, error) {
		return s.db.ReviewProductChecked(ctx, a, id, in.Decision, in.Reason, in.Checklist)
	}))
	s.handle("POST", "/api/v1/products/{id}/second-review", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (*shuyu.Product, error) {
		return s.db.RequireSecondReview(ctx, a, id, in.Reason)
	}))
	s.handle("POST", "/api/v1/products/{id}/filing", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		bodyMayBeEmpty
		FilingNo string `json:"filing_no"`
		Note     string `json:"note"`
	}) (*shuyu.Product, error) {
		return s.db.FileProduct(ctx, a, id, in.FilingNo, in.Note)
	}))
	s.handle("POST", "/api/v1/products/{id}/release", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.Product, error) {
		return s.db.ReleaseProduct(ctx, a, id)
	}))
	s.handle("GET", "/api/v1/products/{id}/download", jsonRoute[noBody, deliveredTable](http.StatusOK, s.apiProductDownload).orFile("text/csv"))
	s.handle("GET", "/api/v1/products/{id}/deliveries", onObjectList(s.actor, s.db.ProductDeliveries))
	s.handle("POST", "/api/v1/products/{id}/attribution", upload[*output.Attribution](http.StatusOK, s.apiProductAttribute))
	s.handle("GET", "/api/v1/products/{id}/lineage", onObject(s.actor, s.db.ProductLineage))
	s.handle("GET", "/api/v1/lineage/entries/{id}", onObjectList(s.actor, s.db.EntryLineage))
	// The public list of released products, without login (R23.2, R32.1).
	s.handle("GET", "/api/v1/public/products", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]sqlstore.PublicProduct, error) {
		return s.db.ReleasedProducts(ctx)
	}))
	s.outputPages()
}

// outputProducts lists the products the actor may see, optionally in one
// state (?status=).
func (s *Server) outputProducts(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Product, error) {
	st := q.Get("status")
	if _, ok := shuyu.ProductMachine.Table[st]; st != "" && !ok && st != shuyu.ProductReleased {
		return nil, shuyu.Errorf(shuyu.EINVALID, "状态参数有误 (bad status)")
	}
	return s.db.Products(ctx, a, st)
}

// optionalReason is a body that may be absent, else gives a reason.
type optionalReason struct {
	bodyMayBeEmpty
	Reason string `json:"reason"`
}

// productRequested is a product asked for output with its automatic
// check's report.
type productRequested struct {
	*shuyu.Product
	Report *outcheck.Report `json:"report"`
}

func (s *Server) apiOutputRulesApprove(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v <= 0 {
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	var in optionalReason
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	out, err := s.db.ApproveOutputRules(r.Context(), a, v, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiProductPutReport takes the report PDF as the raw body (Content-Type
// application/pdf), capped and sniffed by the store.
func (s *Server) apiProductPutReport(w http.ResponseWriter, r *http.Request) error {
	a, id, data, err := s.outputUploadFor(w, r, shuyu.ActProductCreate, sqlstore.MaxReportBytes)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	p, err := s.db.SetProductReport(r.Context(), a, id, r.URL.Query().Get("name"), data, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// apiProductGetReport serves the report file: to the merchant, reviewers,
// the authority and regulators for the check; to anyone else only as a
// delivery of a released product (R23.2).
func (s *Server) apiProductGetReport(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return err
	}
	p, err := s.db.Product(r.Context(), a, id)
	if err != nil {
		return err
	}
	inside := a.OrgID == p.OrgID || a.Has(shuyu.RoleOperatorReviewer) || a.Has(shuyu.RoleAuthority) || a.Has(shuyu.RoleRegulator)
	if !inside {
		if _, err := s.db.DeliverableProduct(r.Context(), a, id); err != nil {
			return err
		}
	}
	name, data, err := s.db.ProductReportContent(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}

// apiProductDownload delivers one table of a released, filed product: CSV
// by default, JSON rows for API delivery (Accept: application/json). Before
// filing it answers 409 (or 404 to those who cannot see the product):
// nothing leaves before filing (R23.2), and no route serves raw data.
func (s *Server) apiProductDownload(w http.ResponseWriter, r *http.Request) error {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return err
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		return s.outputDownloadCSV(w, r, a, id)
	}
	q := r.URL.Query()
	d, err := s.output.Deliver(r.Context(), a, id, q.Get("table"), q.Get("recipient"), "api")
	if err != nil {
		return err
	}
	w.Header().Set("X-Shuyu-Delivery", fmt.Sprint(d.Record.ID))
	writeJSON(w, http.StatusOK, deliveredTable{Delivery: d.Record, Columns: d.Columns, Rows: d.Rows})
	return nil
}

// deliveredTable is a table delivered as JSON: the delivery record, the
// columns and the rows (values as text, fingerprinted for the recipient).
type deliveredTable struct {
	Delivery shuyu.ProductDelivery `json:"delivery"`
	Columns  []string              `json:"columns"`
	Rows     [][]string            `json:"rows"`
}

// outputDownloadCSV delivers a table as a CSV attachment, for the API and
// the product page alike (same rules, one path).
func (s *Server) outputDownloadCSV(w http.ResponseWriter, r *http.Request, a *shuyu.Actor, id int64) error {
	q := r.URL.Query()
	d, err := s.output.Deliver(r.Context(), a, id, q.Get("table"), q.Get("recipient"), "download")
	if err != nil {
		return err
	}
	w.Header().Set("X-Shuyu-Delivery", fmt.Sprint(d.Record.ID))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": fmt.Sprintf("product_%d_%s.csv", id, d.Record.Table)}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(d.CSV)
	return err
}

// apiProductAttribute takes a leaked copy (CSV, raw body or multipart field
// "file") and names its recipient (R27.1).
func (s *Server) apiProductAttribute(w http.ResponseWriter, r *http.Request) error {
	a, id, data, err := s.outputUploadFor(w, r, shuyu.ActProductAttribute, output.MaxLeakBytes)
	if err != nil {
		return err
	}
	res, err := s.output.Attribute(r.Context(), a, id, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// outputUploadFor reads the upload to product {id} once the store allows
// action on it (a refused caller's body is never read): a raw body or the
// multipart field "file", capped at max.
func (s *Server) outputUploadFor(w http.ResponseWriter, r *http.Request, action shuyu.Action, max int64) (*shuyu.Actor, int64, []byte, error) {
	a, id, err := objectCall(s.actor, r)
	if err != nil {
		return nil, 0, nil, err
	}
	if _, err := s.db.ProductFor(r.Context(), a, action, id); err != nil {
		return nil, 0, nil, err
	}
	data, err := outputUpload(w, r, max)
	return a, id, data, err
}

// outputUpload reads a raw body or the multipart field "file".
func outputUpload(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return outputReadBody(w, r, max)
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10)
	if err := r.ParseMultipartForm(max); err != nil {
		if strings.Contains(err.Error(), "too large") {
			return nil, shuyu.Errorf(shuyu.ETOOLARGE, "上传文件超过 %d MB 上限 (upload too large)", max>>20)
		}
		return nil, shuyu.Errorf(shuyu.EINVALID, "上传格式有误 (malformed multipart body)")
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请选择要上传的文件（表单字段 file） (file part missing)")
	}
	defer f.Close()
	r2 := &http.Request{Body: f, ContentLength: -1}
	return outputReadBody(w, r2, max)
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
