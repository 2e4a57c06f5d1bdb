package web

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"shuyu"
	"shuyu/outcheck"
)

// request asks for output and answers the product with the automatic
// check's report (R17.1).
func (o *outputAPI) request(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	p, rep, err := o.svc.Request(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*shuyu.Product
		Report *outcheck.Report `json:"report"`
	}{p, rep})
	return nil
}

func (o *outputAPI) revise(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	p, err := o.s.db.ReviseProduct(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (o *outputAPI) review(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := o.s.db.ReviewProduct(r.Context(), a, id, in.Decision, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (o *outputAPI) second(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := o.s.db.RequireSecondReview(r.Context(), a, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (o *outputAPI) file(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	var in struct {
		FilingNo string `json:"filing_no"`
		Note     string `json:"note"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	p, err := o.s.db.FileProduct(r.Context(), a, id, in.FilingNo, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (o *outputAPI) release(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	p, err := o.s.db.ReleaseProduct(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// download delivers one table of a released, filed product: CSV by
// default, JSON rows for API delivery (Accept: application/json). Before
// filing it answers 409 (or 404 to those who cannot see the product):
// nothing leaves before filing (R23.2), and no route serves raw data.
func (o *outputAPI) download(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	channel := "download"
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		channel = "api"
	}
	d, err := o.svc.Deliver(r.Context(), a, id, q.Get("table"), q.Get("recipient"), channel)
	if err != nil {
		return err
	}
	w.Header().Set("X-Shuyu-Delivery", fmt.Sprint(d.Record.ID))
	if channel == "api" {
		writeJSON(w, http.StatusOK, map[string]any{"delivery": d.Record, "columns": d.Columns, "rows": d.Rows})
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": fmt.Sprintf("product_%d_%s.csv", id, d.Record.Table)}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(d.CSV)
	return err
}

func (o *outputAPI) deliveries(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	list, err := o.s.db.ProductDeliveries(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}

// attribute takes a leaked copy (CSV, raw body or multipart field "file")
// and names its recipient (R27.1).
func (o *outputAPI) attribute(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	if _, err := o.s.db.ProductFor(r.Context(), a, shuyu.ActProductAttribute, id); err != nil {
		return err
	}
	data, err := outputUpload(w, r, MaxLeakBytes)
	if err != nil {
		return err
	}
	res, err := o.svc.Attribute(r.Context(), a, id, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
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

func (o *outputAPI) lineage(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	l, err := o.s.db.ProductLineage(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (o *outputAPI) entryLineage(w http.ResponseWriter, r *http.Request) error {
	a, id, err := o.target(r)
	if err != nil {
		return err
	}
	uses, err := o.s.db.EntryLineage(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(uses))
	return nil
}

// public lists released products without login (R23.2, R32.1).
func (o *outputAPI) public(w http.ResponseWriter, r *http.Request) error {
	list, err := o.s.db.ReleasedProducts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list))
	return nil
}
