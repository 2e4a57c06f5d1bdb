package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"shuyu"
	"shuyu/catalogxlsx"
)

// Catalog exchange (R8.6): the Excel template, bulk import, and exports of
// the published catalog as .xlsx, JSON and DCAT JSON-LD.

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) apiCatalogTemplate(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := catalogxlsx.Template(&b, cats); err != nil {
		return err
	}
	return catalogDownload(w, xlsxType, "授权运营目录导入模板.xlsx", b.Bytes())
}

func (s *Server) apiCatalogExportXLSX(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.db.PublishedCatalog(r.Context())
	if err != nil {
		return err
	}
	cats, err := s.db.CatalogCategories(r.Context())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := catalogxlsx.Export(&b, entries, cats); err != nil {
		return err
	}
	return catalogDownload(w, xlsxType, "授权运营目录.xlsx", b.Bytes())
}

func (s *Server) apiCatalogExportJSON(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.db.PublishedCatalog(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(entries))
	return nil
}

func catalogDownload(w http.ResponseWriter, ctype, name string, data []byte) error {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(data)
	return err
}

// catalogUpload reads an uploaded workbook, capped before anything is
// parsed: a declared length over the cap is refused unread, and the body is
// cut at the cap whatever it declares (invariant 5).
func catalogUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := shuyu.Errorf(shuyu.ETOOLARGE, "上传文件超过 %d MB 上限 (upload too large)", catalogxlsx.MaxUpload>>20)
	if r.ContentLength > catalogxlsx.MaxUpload+64<<10 {
		return nil, tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, catalogxlsx.MaxUpload+64<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = r.Body
	if ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, shuyu.Errorf(shuyu.EINVALID, "上传格式有误 (malformed multipart body)")
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				if strings.Contains(err.Error(), "request body too large") {
					return nil, tooLarge
				}
				return nil, shuyu.Errorf(shuyu.EINVALID, "请选择要上传的 .xlsx 文件（表单字段 file）(file part missing)")
			}
			if p.FormName() == "file" {
				src = p
				break
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(src, catalogxlsx.MaxUpload+1))
	if err != nil {
		if strings.Contains(err.Error(), "request body too large") {
			return nil, tooLarge
		}
		return nil, shuyu.Errorf(shuyu.EINVALID, "上传中断 (upload interrupted)")
	}
	if len(data) > catalogxlsx.MaxUpload {
		return nil, tooLarge
	}
	if len(data) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "上传的文件是空的 (empty upload)")
	}
	return data, nil
}

// apiCatalogImport imports a filled-in template as drafts, all or nothing.
func (s *Server) apiCatalogImport(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	if err := shuyu.Authorize(a, shuyu.ActCatalogImport, shuyu.Resource{Kind: "catalog_revision"}); err != nil {
		return err
	}
	data, err := catalogUpload(w, r)
	if err != nil {
		return err
	}
	rows, err := catalogxlsx.Parse(data)
	if err != nil {
		return err
	}
	ids, err := s.db.ImportCatalog(r.Context(), a, rows)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, catalogImported{Imported: len(ids), IDs: ids})
	return nil
}

// catalogImported answers an import: the drafts it created.
type catalogImported struct {
	Imported int     `json:"imported"`
	IDs      []int64 `json:"ids"`
}

// dcatCatalog is the catalog as a W3C DCAT catalog in JSON-LD; each dataset
// is a dcat:Dataset node (metadata only).
type dcatCatalog struct {
	Context  map[string]string `json:"@context"`
	ID       string            `json:"@id"`
	Type     string            `json:"@type"`
	Title    map[string]string `json:"dct:title"`
	Datasets []map[string]any  `json:"dcat:dataset"`
}

// DCAT frequencies (EU authority table, which DCAT-AP uses).
var dcatFrequency = map[shuyu.UpdateFreq]string{
	shuyu.FreqRealtime: "CONT", shuyu.FreqDaily: "DAILY", shuyu.FreqWeekly: "WEEKLY", shuyu.FreqMonthly: "MONTHLY",
	shuyu.FreqQuarterly: "QUARTERLY", shuyu.FreqYearly: "ANNUAL", shuyu.FreqIrregular: "IRREG",
}

// apiCatalogExportDCAT describes the published catalog in W3C DCAT (JSON-LD)
// for other platforms; fields are listed with their grade and flags under
// the platform's own vocabulary. Metadata only, never data.
func (s *Server) apiCatalogExportDCAT(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.db.PublishedCatalog(r.Context())
	if err != nil {
		return err
	}
	base := "https://" + r.Host
	if r.TLS == nil {
		base = "http://" + r.Host
	}
	datasets := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		rv := e.Revision
		fields := make([]map[string]any, len(rv.Fields))
		for i, f := range rv.Fields {
			fields[i] = map[string]any{"@type": "sy:Field", "sy:name": f.Name, "rdfs:label": map[string]string{"@value": f.Label, "@language": "zh"},
				"sy:dataType": string(f.DataType), "sy:grade": string(f.Grade), "sy:personalInformation": f.PI,
				"sy:sensitivePersonalInformation": f.SensitivePI, "sy:tradeSecret": f.TradeSecret}
		}
		d := map[string]any{
			"@id": fmt.Sprintf("%s/catalog/%d", base, e.ID), "@type": "dcat:Dataset",
			"dct:identifier":         e.Code,
			"dct:title":              map[string]string{"@value": rv.Name, "@language": "zh"},
			"dct:description":        map[string]string{"@value": rv.Summary, "@language": "zh"},
			"dct:publisher":          map[string]any{"@type": "foaf:Organization", "foaf:name": e.OrgName},
			"dct:spatial":            e.Region,
			"dct:accrualPeriodicity": map[string]string{"@id": "http://publications.europa.eu/resource/authority/frequency/" + dcatFrequency[rv.UpdateFreq]},
			"dct:accessRights":       shuyu.OpenAttrLabels[rv.OpenAttr],
			"dct:temporal":           rv.TimeSpan,
			"sy:grade":               string(rv.Grade),
			"sy:openAttribute":       string(rv.OpenAttr),
			"sy:publicSource":        rv.PublicSource,
			"sy:authorizationMode":   string(rv.AuthMode),
			"sy:version":             rv.Version,
			"sy:field":               fields,
		}
		if e.CategoryName != "" {
			d["dcat:theme"] = e.CategoryName
		}
		if rv.PublishedAt != nil {
			d["dct:modified"] = rv.PublishedAt.Format("2006-01-02T15:04:05Z")
		}
		datasets = append(datasets, d)
	}
	doc := dcatCatalog{
		Context: map[string]string{
			"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
			"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "sy": base + "/ns/catalog#",
		},
		ID: base + "/catalog", Type: "dcat:Catalog",
		Title:    map[string]string{"@value": "公共数据授权运营目录", "@language": "zh"},
		Datasets: datasets,
	}
	w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(doc)
}
